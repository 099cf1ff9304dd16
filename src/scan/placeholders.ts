import { createHash } from 'node:crypto';

/**
 * Built-in allowlist: vendor example values published in documentation, and obvious placeholders. Exact
 * example values are kept as SHA-256 digests so this file itself holds nothing a scanner would flag.
 */
const EXAMPLE_VALUE_DIGESTS = new Set([
  '1a5d44a2dca19669d72edf4c4f1c27c4c1ca4b4408fbb17f6ce4ad452d78ddb3', // AWS documentation access key id
  '78314b11be2e581549ac1c4f616563fad3fdf0c3b71678f6e2299182080e0598', // AWS documentation secret access key
  '0011cc25eb4320717494d2703e8cba85743e71b500283c21c8b88147992f9059', // Azurite / storage emulator account key
  '2cafc0970149a84f3b9e62eaf169f36f59907a3b3e31f7b82e68c69cd27f7326', // Stripe documentation test key
  '7f75367e7881255134e1375e723d1dea8ad5f6a4fdb79d938df1f1754a830606', // jwt.io sample token
]);

/** Lower-case substrings that mark a value as an example or a placeholder rather than a credential. */
export const PLACEHOLDER_WORDS = [
  'example', 'sample', 'dummy', 'placeholder', 'changeme', 'change_me', 'change-me', 'your_', 'your-', 'yourpass',
  'xxxxxx', '******', '••••', '<', '>', '${', '{{', '}}', '%(', '$(', 'redacted', 'insert', 'replace', 'fake',
  'foobar', 'lorem', 'notreal', 'not_real', 'not-real', 'todo', 'fixme', 'secretkey', 'mysecret', 'mypassword',
  'password123', 'hunter2', 'abcdef123456', '1234567890', '0123456789', 'qwerty', 'letmein', 'process.env',
  'os.environ', 'getenv', 'env[', 'environ[', 'config.', 'settings.', 'vault:', 'ref+', 'secretsmanager:',
];

/** Values that are commonly written in place of a real password in docs and tests. */
const PLACEHOLDER_VALUES = new Set([
  'password', 'passwd', 'pass', 'pwd', 'secret', 'token', 'apikey', 'api_key', 'key', 'user', 'username', 'admin',
  'root', 'test', 'testing', 'changeit', 'default', 'null', 'none', 'undefined', 'true', 'false', 'empty', 'guest',
  'postgres', 'mysql', 'redis', 'mongo', 'pa$$word', 'p@ssw0rd', 'p@ssword', 'foo', 'bar', 'baz', 'xxx', '***',
]);

export function isExampleValue(secret: string): boolean {
  if (/EXAMPLE/i.test(secret)) return true;
  return EXAMPLE_VALUE_DIGESTS.has(createHash('sha256').update(secret).digest('hex'));
}

/** True for values that are plainly not a credential: placeholders, templates, repeated characters. */
export function isPlaceholder(secret: string): boolean {
  const lower = secret.toLowerCase();
  if (PLACEHOLDER_VALUES.has(lower)) return true;
  if (/^(.)\1+$/.test(secret)) return true;
  for (const word of PLACEHOLDER_WORDS) if (lower.includes(word)) return true;
  return isExampleValue(secret);
}
