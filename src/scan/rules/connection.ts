import { isPlaceholder } from '../placeholders.js';
import { before, defineRule, help } from './define.js';

const DB_SCHEMES = /(?:^|[^A-Za-z0-9+.-])(?:postgres(?:ql)?|mysql(?:x)?|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|oracle|cockroachdb|clickhouse|couchdb|neo4j(?:\+s)?|jdbc:[a-z]+)$/i;
const URL_SCHEME = /(?:^|[^A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,20}$/;

/** user:password@ in a URL: a real password, not a template or a repeat of the user name. */
function credentialsLookReal(match: RegExpExecArray): boolean {
  const user = match[1] ?? '';
  const password = match[2] ?? '';
  if (password.length < 3 || password === user) return false;
  if (isPlaceholder(password) || /^[*x.]+$/i.test(password) || /^[:$%{<[]/.test(password)) return false;
  // `authpassword`, `mysecret`: a word about the password standing in for it, as documentation writes them.
  if (/^[a-z_-]+$/i.test(password) && /pass|secret|pwd|token/i.test(password)) return false;
  return !isPlaceholder(user) || /\d/.test(password);
}

/** Passwords in URLs and in the files tools keep them in. */
export const connectionRules = [
  defineRule({
    id: 'database-connection-string',
    description: 'Database connection string with a password',
    keywords: ['postgres', 'mysql', 'mariadb', 'mongodb', 'redis', 'amqp', 'mssql', 'sqlserver', 'oracle', 'jdbc', 'clickhouse', 'couchdb', 'neo4j', 'cockroach'],
    regex: /:\/\/([^\s:/@"'`<>]{0,64}):([^\s/"'`<>]{1,128})@(?=[A-Za-z0-9.[_-])/,
    secretGroup: 2,
    help: help('A connection string with a password logs in to the database as that user. Change the password (`vh-secrets rotate` can do it) and read the URL from a secret store.'),
    validate: (_secret, match, text) => DB_SCHEMES.test(before(text, match.index, 24)) && credentialsLookReal(match),
  }),
  defineRule({
    id: 'basic-auth-url',
    description: 'URL with embedded user name and password',
    keywords: ['://'],
    regex: /:\/\/([^\s:/@"'`<>]{0,64}):([^\s/"'`<>]{1,128})@(?=[A-Za-z0-9.[_-])/,
    secretGroup: 2,
    help: help('A URL of the form scheme://user:password@host (also in .git-credentials) carries a password. Change it at the service and use a credential helper or token instead.'),
    validate: (_secret, match, text) => {
      const prefix = before(text, match.index, 24);
      return URL_SCHEME.test(prefix) && !DB_SCHEMES.test(prefix) && credentialsLookReal(match);
    },
  }),
  defineRule({
    id: 'netrc-password',
    description: 'Password in a .netrc entry',
    keywords: ['machine', 'default'],
    // Only the password token is matched; the entry it belongs to (`machine …` or `default`) is looked for just
    // before it, so the work per match is bounded whatever the line holds.
    regex: /password(?<![^\s]password)\s{1,10}([^\s]{1,255})/,
    help: help('A .netrc entry logs in to the named machine (curl, git, ftp). Change the password and keep .netrc out of repositories.'),
    validate: (secret, match, text) =>
      secret.length >= 3 && !isPlaceholder(secret) && /(?:^|\n)[ \t]*(?:machine[ \t]+\S+|default)(?:[ \t]|\n)/.test(before(text, match.index + 1, 300)),
  }),
  defineRule({
    id: 'pgpass-password',
    description: 'Password in a .pgpass file',
    keywords: [],
    path: /(?:^|\/)\.?pgpass$/,
    regex: /^[^:\n#]{1,255}:[^:\n]{1,10}:[^:\n]{1,255}:[^:\n]{1,255}:([^\n]{1,255})$/m,
    help: help('A .pgpass line logs in to PostgreSQL. Change the password and keep .pgpass out of repositories.'),
    validate: (secret) => !isPlaceholder(secret) && secret !== '*',
  }),
];
