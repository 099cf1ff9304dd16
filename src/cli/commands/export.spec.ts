import { defineCommand, type OptionsOf } from '../spec.js';

const spec = defineCommand({
  name: 'export',
  description: 'print the current values of one store (under --prefix) as a .env file, shell export lines or JSON — to a pipe or file, not a terminal',
  options: [
    { flags: '--store <alias>', description: 'the store to export (default: the default store)' },
    { flags: '--prefix <prefix>', description: 'only names starting with this; variable names are made from the rest' },
    { flags: '--format <format>', description: 'dotenv (default), env (export lines) or json', choices: ['dotenv', 'env', 'json'] },
  ],
  help: '\nVariable names: the secret name after --prefix, upper case, other characters as "_" (app/db-password with\n--prefix app/ → DB_PASSWORD); two names that would become one variable are refused (65) before anything is\nprinted. Each value read is audited as `accessed`. On a terminal it needs --yes. A value that is not UTF-8\ntext exits 65.',
  examples: [
    'vh-secrets export --store prod-vault --prefix app/ > .env',
    'vh-secrets export --prefix ci/ --format json | jq .',
  ],
});

export default spec;
export type ExportOptions = OptionsOf<typeof spec>;
