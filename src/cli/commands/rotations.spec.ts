import { defineCommand, type OptionsOf } from '../spec.js';

const spec = defineCommand({
  name: 'rotations',
  description: "list interrupted and in-flight rotations (local journal and the stores' markers) and what --resume / --abort would do",
  options: [
    { flags: '--store <alias>', description: 'only this store' },
    { flags: '--type <type>', description: 'only this secret type' },
    { flags: '--tag <key=value>', description: 'only secrets with this tag (repeatable)', repeatable: true },
  ],
  help: '\nA rotation is in flight while its holder may still run: on this host while its process holds the rotation\nlock; from another host until it is older than VOICEHIVE_ROTATION_TIMEOUT_MINUTES (30). Otherwise it is\ninterrupted and waits for `vh-secrets rotate <ref> --resume` or `--abort` (or `rotate --resume --all`).\nExit (like health): 0 nothing interrupted, 1 (WARNING) at least one interrupted rotation, 3 (UNKNOWN) a store or\na journal file could not be read.\nWith --json: {generated_at, rotations:[{secret,store,rotation_id,source,type,phase,host,pid,started_at,\nage_seconds,holder,state,why,from_version,current_version,pending_version,secret_exists,resume,abort}],\nerrors:[{where,code,message}], summary:{total,interrupted,in_flight}}.',
});

export default spec;
export type RotationsOptions = OptionsOf<typeof spec>;
