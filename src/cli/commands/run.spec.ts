import { defineCommand, type OptionsOf } from '../spec.js';

const spec = defineCommand({
  name: 'run',
  description: 'start a command with secrets in its environment (values never on a command line); its output masked, its exit code returned',
  arguments: [{ name: '<command...>', description: 'the command and its arguments, after --' }],
  options: [
    { flags: '--env <NAME=REF>', description: 'an environment variable from a secret reference (repeatable)', repeatable: true },
    { flags: '--env-file <file>', description: 'NAME=VALUE lines; a value starting with a configured STORE: is a reference, any other a literal' },
    { flags: '--mask', description: "replace every injected value in the command's output (default when stdout or stderr is not a terminal)" },
    { flags: '--no-mask', description: "pass the command's output through untouched" },
    { flags: '--watch', description: 'restart the command with the new values when a referenced secret gets a new version' },
    { flags: '--watch-interval <duration>', description: 'with --watch: how often to check the store for new versions (default 30s)' },
    { flags: '--restart-grace <duration>', description: 'with --watch: how long a restart waits after SIGTERM before SIGKILL (default 10s)' },
  ],
  help: "\nSignals are forwarded to the command; the exit code is the command's (128+N when a signal ended it; 127\nnot found). Masked output shows <concealed by vh-secrets> for a value (and each string field of a JSON\nvalue) of 4 bytes or more, also when it is split across writes. Each value read is audited as `accessed`\nwith the command's name (never its environment).\nWith --watch, the version of each referenced secret is checked every --watch-interval (metadata only, not\naudited); when one has a new version, all values are read again (audited) and the command gets SIGTERM,\nSIGKILL after --restart-grace, and is started again with the new values (not when the values are the same).\nOutput stays masked for old and new values. A reference pinned to a version id (@3) is not watched. A check\nthat fails (store unreachable) prints one warning and the command keeps running. A command that exits on its\nown is not restarted: run exits with its code, as it does after SIGINT/SIGTERM (forwarded, then no restart).",
  examples: [
    'vh-secrets run --env DB_PASSWORD=prod-vault:app/db#password -- ./server --port 8080',
    'vh-secrets run --env-file app.env -- npm start',
    'vh-secrets run --watch --watch-interval 1m --env API_KEY=aws:prod/api -- ./worker',
  ],
  passThroughOptions: true,
});

export default spec;
export type RunOptions = OptionsOf<typeof spec>;
