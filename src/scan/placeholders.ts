import { createHash } from 'node:crypto';
import { CAMEL_WORD } from './entropy.js';

/**
 * Built-in allowlist: vendor example values published in documentation, obvious placeholders, and values that
 * are not usable credentials although they sit where one would (ciphertexts, password hashes). Exact example
 * values are kept as SHA-256 digests so this file itself holds nothing a scanner would flag.
 */
const EXAMPLE_VALUE_DIGESTS = new Set([
  '1a5d44a2dca19669d72edf4c4f1c27c4c1ca4b4408fbb17f6ce4ad452d78ddb3', // AWS documentation access key id
  '78314b11be2e581549ac1c4f616563fad3fdf0c3b71678f6e2299182080e0598', // AWS documentation secret access key
  '0011cc25eb4320717494d2703e8cba85743e71b500283c21c8b88147992f9059', // Azurite / storage emulator account key
  '2cafc0970149a84f3b9e62eaf169f36f59907a3b3e31f7b82e68c69cd27f7326', // Stripe documentation test key
  '7f75367e7881255134e1375e723d1dea8ad5f6a4fdb79d938df1f1754a830606', // jwt.io sample token
  '3543c50b0cb9cea8e55eb1f529b79f043cb250d485fde7b66cabbb5183add7da', // GitHub documentation token
  '2ddc147f3a3b5a1722b8ed6be3c45c49a7156b17fca5d11410137a6d04def6eb', // Slack documentation bot token
  '0b5dd075ccdd03c42f4edda8e299e6838e2a75d3486a2a8d86940ed1541e9178', // Telegram documentation bot token
  'ac9265e56c79b234607ec72c53753cfea9f88c99eb713790ddf9be5593bb4465', // Google documentation API key
  '1b58ee375b42e41f0e48ef2ff27d10a5b1f6924a9acdcdba7cae868e7adce6bf', // Redis documentation password
]);

/**
 * Lower-case words that mark a value as an example or a placeholder rather than a credential. They count as a
 * whole word of the value (`fake_token`, `your-todo-here`, `myFakeSecret`, `FAKE-API-KEY`; words of six letters
 * or more need only start one: `LetMeIn`, `YourPassword`), or anywhere in a value that
 * reads as words (`faketoken123`, `mydummypassword`) — not inside a run of letters of a random token
 * (`…Xqfakem9…`), which holds one of them now and then by chance.
 */
export const PLACEHOLDER_WORDS = [
  'example', 'sample', 'dummy', 'placeholder', 'changeme', 'changethis', 'yourpass', 'yoursecret', 'yourtoken',
  'yourkey', 'redacted', 'insert', 'replace', 'fake', 'foobar', 'lorem', 'notreal', 'todo', 'fixme', 'secretkey',
  'mysecret', 'mypassword', 'qwerty', 'letmein', 'supersecret', 'topsecret',
];

/**
 * Lower-case substrings with digits or symbols in them, which a random token does not hold by chance: template
 * and code fragments, masks, keyboard runs and well-known weak passwords. Matched anywhere in the value.
 */
export const PLACEHOLDER_MARKERS = [
  'change_me', 'change-me', 'change_this', 'your_', 'your-', 'xxxxxx', '******', '••••', '${', '{{', '}}',
  'not_real', 'not-real', 'password123', 'hunter2', 'abcdef123456', '1234567890', '0123456789', 'process.env',
  'os.environ', 'getenv', 'env[', 'environ[', 'config.', 'settings.', 'vault:', 'ref+', 'secretsmanager:',
  'unique phrase', 'put your', 'enter your', 'here_', '_here', '-here', 'super_secret', 's3cr3t', 'passw0rd',
  'p4ssw0rd', 'secret123', 'secret1234', 'password1', 'test1234',
];

/**
 * Whether a value reads as words rather than as drawn characters: few changes between lower case, upper case,
 * digits and symbols (`faketoken123`: one; a random mixed-case token: about six in ten adjacent pairs).
 */
function readsAsWords(value: string): boolean {
  const kind = (c: number) => (c >= 97 && c <= 122 ? 0 : c >= 65 && c <= 90 ? 1 : c >= 48 && c <= 57 ? 2 : 3);
  let changes = 0;
  for (let i = 1; i < value.length; i++) if (kind(value.charCodeAt(i)) !== kind(value.charCodeAt(i - 1))) changes++;
  return changes * 4 < value.length;
}

function hasPlaceholderWord(secret: string, lower: string): boolean {
  if (readsAsWords(secret)) return PLACEHOLDER_WORDS.some((w) => lower.includes(w));
  const starts = new Set<number>();
  const ends = new Set<number>();
  for (const m of secret.matchAll(CAMEL_WORD)) {
    starts.add(m.index);
    ends.add(m.index + m[0].length);
  }
  // A short word must be one whole word of the value (`Fake`, not `TodO`); a long one may run on (`YourPassword`).
  const whole = (i: number, n: number) => ends.has(i + n) && !Array.from({ length: n - 1 }, (_, k) => i + k + 1).some((k) => starts.has(k));
  for (const w of PLACEHOLDER_WORDS) {
    for (let i = lower.indexOf(w); i !== -1; i = lower.indexOf(w, i + 1)) {
      if (starts.has(i) && (w.length >= 6 || whole(i, w.length))) return true;
    }
  }
  return false;
}

/** Values that are commonly written in place of a real password in docs and tests. */
const PLACEHOLDER_VALUES = new Set([
  'password', 'passwd', 'pass', 'pwd', 'secret', 'token', 'apikey', 'api_key', 'key', 'user', 'username', 'admin',
  'root', 'test', 'testing', 'changeit', 'default', 'null', 'none', 'undefined', 'true', 'false', 'empty', 'guest',
  'postgres', 'mysql', 'redis', 'mongo', 'pa$$word', 'p@ssw0rd', 'p@ssword', 'foo', 'bar', 'baz', 'xxx', '***',
  'foobared', 'required', 'optional', 'string', 'str', 'bool', 'boolean', 'int', 'number', 'sensitive', 'secret_value',
]);

/**
 * Template and variable syntaxes: the value is filled in elsewhere. `${VAR}`, `{{ .Values.x }}`, `<your-key>`,
 * `%(name)s`, `$(cmd)`, `$VAR`, `%VAR%`, `{name}`, `#{var}`, `@VAR@`, `__VAR__`.
 */
const TEMPLATE = [
  /\$\{[^}\n]{0,200}\}/,
  /\{\{[^}\n]{0,200}\}\}/,
  /^<[^<>\n]{1,80}>$|<(?:your|my|the|insert|enter|secret|password|token|api|key|redacted)[\w .-]{0,40}>/i,
  /%\([A-Za-z_]\w{0,40}\)[sd]/,
  /\$\([A-Za-z_][\w .-]{0,60}\)/,
  /^\$[A-Za-z_][A-Za-z0-9_]{1,80}$/,
  /^%[A-Za-z_][A-Za-z0-9_]{1,80}%$/,
  /^\{[A-Za-z_][\w.]{0,60}\}$/,
  /^#\{[^}\n]{1,80}\}$/,
  /^@[A-Za-z_][\w.]{1,60}@$/,
  /^__[A-Z][A-Z0-9_]{1,60}__$/,
];

/**
 * Values that are protected rather than secret: ciphertexts (SOPS, ansible-vault, Vault transit, KMS blobs, PGP
 * messages, Windows DPAPI blobs as NuGet stores passwords) and password hashes (bcrypt, argon2, scrypt, pbkdf2, crypt, SCRAM, PostgreSQL md5, MySQL native,
 * LDAP `{SSHA}`). Someone holding one still cannot log in with it.
 */
const PROTECTED = [
  /^ENC\[[A-Z0-9_]{2,20},/,
  /\$ANSIBLE_VAULT;/,
  /^vault:v\d{1,3}:/,
  /^AQ[EI]CAH[A-Za-z0-9+/]{20}/,
  /^CiQA[A-Za-z0-9+/]{40}/,
  /^AQAAANCMnd8BFdERjHoAwE\/Cl\+sBAAAA/,
  /-----BEGIN PGP MESSAGE-----/,
  /^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$/,
  /^\$argon2(?:id|i|d)\$/,
  /^\$scrypt\$|^\$7\$/,
  /^\$pbkdf2(?:-sha\d{1,3})?\$|^pbkdf2_sha\d{1,3}\$|^pbkdf2:sha\d{1,3}:/,
  /^\$(?:1|5|6|y|gy|sha1|md5|apr1)\$[^$\s]{0,40}\$/,
  /^SCRAM-SHA-(?:1|256)\$/,
  /^md5[a-f0-9]{32}$/,
  /^\*[A-F0-9]{40}$/,
  /^\{(?:SSHA|SHA|SSHA256|SSHA512|CRYPT|MD5|SMD5|PBKDF2[\w-]{0,20})\}/i,
  /^(?:sha1|sha256|sha512|argon2|bcrypt)\$[^\s]{10,}/,
];

export function isExampleValue(secret: string): boolean {
  if (/EXAMPLE/i.test(secret)) return true;
  return EXAMPLE_VALUE_DIGESTS.has(createHash('sha256').update(secret).digest('hex'));
}

/** A ciphertext or a password hash: where a secret would be, but not one anybody can use. */
export function isProtectedValue(secret: string): boolean {
  return PROTECTED.some((re) => re.test(secret));
}

/** A template or variable reference (`${DB_PASSWORD}`, `{{ .Values.password }}`, `<your-password>`). */
export function isTemplate(secret: string): boolean {
  return TEMPLATE.some((re) => re.test(secret));
}

/** True for values that are plainly not a credential: placeholders, templates, repeated characters. */
export function isPlaceholder(secret: string): boolean {
  const lower = secret.toLowerCase();
  if (PLACEHOLDER_VALUES.has(lower)) return true;
  if (/^(.)\1+$/.test(secret)) return true;
  for (const marker of PLACEHOLDER_MARKERS) if (lower.includes(marker)) return true;
  if (hasPlaceholderWord(secret, lower)) return true;
  return isTemplate(secret) || isExampleValue(secret);
}
