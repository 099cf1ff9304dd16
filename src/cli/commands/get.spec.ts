import { defineCommand, type OptionsOf } from '../spec.js';

const spec = defineCommand({
  name: 'get',
  description: 'print a secret value to stdout (and only there)',
  arguments: [{ name: '<ref>', description: 'secret reference' }],
  options: [
    { flags: '--at <version>', description: 'version id or stage (current, pending, previous); same as REF@VERSION' },
    { flags: '--field <key>', description: 'one key of a JSON-object value (same as REF#KEY)' },
    { flags: '--format <format>', description: 'raw (default), json, env (export lines), dotenv or yaml', choices: ['raw', 'json', 'env', 'dotenv', 'yaml'] },
  ],
  help: '\nThe value is written as-is (no trailing newline is added unless stdout is a terminal).\nWith --json (or --format json): {ref, store, name, key, version, encoding, value}.\n--format env|dotenv|yaml: one line per key of a JSON-object value, else one line named after the secret\n(app/db-password → DB_PASSWORD); a value that is not UTF-8 text exits 65.',
});

export default spec;
export type GetOptions = OptionsOf<typeof spec>;
