import { defineCommand, type OptionsOf } from '../spec.js';

const spec = defineCommand({
  name: 'lifecycle',
  description: 'show the lifecycle state and history of a secret; `lifecycle report` summarises states by type',
  arguments: [{ name: '<ref>', description: 'secret reference, or the word "report" (a secret named "report": write STORE:report)' }],
  options: [
    { flags: '--type <type>', description: 'report: only this secret type' },
    { flags: '--store <alias>', description: 'report: only this store' },
  ],
  help: '\nStates: CREATED → ACTIVATED → (ACCESSED) → ROTATED … → DEPRECATED → EXPIRED / REVOKED → ARCHIVED → PURGED,\nderived from the store (vh-state, the revoked flag, expiry, rotation time) and the local audit log (accesses,\npurges). The history comes from the audit log, each transition being an audit event of the same name.\nExit: 0 shown, 66 no such secret (and no purge of it in the log); report: 0, or 69 when a store could not be read.\nWith --json: {ref,store,name,state,type,created_at,rotated_at,expires_at,current_version,versions,\nhistory:[{ts,event,state,scope,version,actor,success,error_code,count,last_ts,reason}],log,notes};\nreport: {generated_at,types:[{type,total,states,overdue_rotations,overdue,mean_age_days,\nmean_days_since_rotation}],totals,errors,log}.',
});

export default spec;
export type LifecycleOptions = OptionsOf<typeof spec>;
