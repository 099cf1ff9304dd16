import { defineCommand, type OptionsOf } from '../spec.js';

const spec = defineCommand({
  name: 'health',
  description: 'check age, expiry, due rotations and store reachability (Nagios exit codes 0/1/2/3)',
  options: [
    { flags: '--store <alias>', description: 'only this store' },
    { flags: '--type <type>', description: 'only this secret type' },
    { flags: '--tag <key=value>', description: 'only secrets with this tag (repeatable)', repeatable: true },
    { flags: '--metrics-file <path>', description: 'write Prometheus metrics atomically to this file' },
    { flags: '--pushgateway <url>', description: 'push metrics to a Prometheus Pushgateway' },
    { flags: '--metrics-names', description: 'also export one series per secret, labelled with its name (names can be sensitive)' },
  ],
  help: '\nExit: 0 OK, 1 WARNING (due soon, a rotation interrupted on this host), 2 CRITICAL (expired, overdue past the\nhard limit, stuck or failed rotation, revoked-but-current, store down or not answering within --timeout),\n3 UNKNOWN (could not evaluate). The whole check ends within --timeout (default 20s, VH_SECRETS_TIMEOUT): a store\nthat has not answered by then is CRITICAL and its secrets UNKNOWN (those it last listed on this host).\nAn unwritable --metrics-file exits 73 and leaves no partial file; a Pushgateway that cannot be reached only warns.\nPolicy rules (--policy / [policy] file) are checked from metadata: an enforce-mode violation is CRITICAL,\na warn-mode one WARNING (check "policy").\nWith --json: {status, generated_at, summary, policy, stores:[{store,provider,status,reachable,authenticated,\nlatency_ms,secrets,unknown_secrets,last_listed_at,error}], secrets:[{secret,store,type,status,age_days,rotated_at,\nrotation_due_at,expires_at,current_version,checks:[{check,status,message}],policy_violations:[{rule,check,mode,message}]}]}.',
});

export default spec;
export type HealthOptions = OptionsOf<typeof spec>;
