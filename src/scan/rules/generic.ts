import { randomLetters, shannonEntropy } from '../entropy.js';
import { isPlaceholder } from '../placeholders.js';
import { before, defineRule, help } from './define.js';

/** Key names ending like this describe a secret rather than hold one (`password_length`, `token_url`). */
const DESCRIPTIVE_SUFFIX = /(?:name|type|len|length|field|path|file|url|uri|endpoint|id|ids|prefix|hint|label|policy|regex|pattern|header|param|params|expiry|expires|expiration|ttl|count|max|min|size|format|version|mode|source|provider|ref|env|var|key_id|keyid|hash|salt|digest|store|storage|manager|class|kind|fn|func|cb|callback|changed|required|reset|strength|valid|validator|confirm|confirmation|placeholder|input|index|hashed|encrypted|enabled|disabled|policy|rules|error|errors|message|msg|title|text|description|help|prompt|dialog|form|button|icon|visible|visibility|toggle|auth_method|method|location|secret_name|arn|key_name|keyname|template)$/i;
/**
 * Values that are code, not data: `this.token`, `config.get(...)`, `opts.password`. A call is a whole value that
 * ends with its closing parenthesis: a generated key may hold `(` anywhere (`M(k5…)Iw2…`, Django's alphabet).
 */
const CODE_LIKE = /^[A-Za-z_$][\w$]*(?:[?!]?\.[A-Za-z_$][\w$]*)+[?!]?$|^[A-Za-z_$][\w$.]*\([^()]{0,80}\)$|^(?:true|false|null|nil|none|undefined)$/i;

/**
 * Regex source of a value after a separator and an optional (possibly JSON-escaped) quote: inside quotes any
 * character but the quote, so a symbol-rich password is taken whole; bare, up to white space or punctuation.
 * One capture group.
 */
function value(min: number, max: number): string {
  return (
    `((?<=")[^"\\\\\\n]{${min},${max}}(?=\\\\?")|(?<=')[^'\\\\\\n]{${min},${max}}(?=\\\\?')|(?<=\`)[^\`\\\\\\n]{${min},${max}}(?=\`)` +
    `|(?<!["'\`])[^\\s"'\`;,(){}[\\]<>|\\\\]{${min},${max}})`
  );
}

/** Regex syntax (`[A-Za-z0-9]{32}`, `(?:…)`, `\d`): a pattern describing secrets, common in scanners and validators. */
const REGEX_LIKE = /\[[^\]]{1,60}\][{*+?]|\(\?[:=!<]|\\[dwsbDWS]|\{\d{1,4}(?:,\d{0,4})?\}/;

/** A quoted value that is only a reference: `:name`, `$1`, `@Param`, `{0}`, `%{[field]}`, `?`. */
const WHOLE_REFERENCE = /^(?:[:$%@][A-Za-z_]\w{0,60}|\$\d{1,3}|\{\w{1,60}\}|%\{[^}\n]{1,80}\}|\?)$/;

/** Words joined by dashes, dots or underscores (`not-measurable`, `read.only`): a label, not a secret. */
const WORDS = /^[A-Za-z]+(?:[-_. ][A-Za-z]+)*$/;

/** How many of lower case, upper case, digits and symbols a value mixes. */
function classes(s: string): number {
  return Number(/[a-z]/.test(s)) + Number(/[A-Z]/.test(s)) + Number(/\d/.test(s)) + Number(/[^A-Za-z0-9]/.test(s));
}

/** A password someone chose or generated: random enough, or short but mixing three kinds of characters. */
function looksLikePassword(secret: string): boolean {
  if (secret.length < 6 || isPlaceholder(secret) || CODE_LIKE.test(secret) || REGEX_LIKE.test(secret) || WORDS.test(secret)) return false;
  if (/^[A-Za-z_$]+$/.test(secret) || /^\d+$/.test(secret)) return false;
  if (/^[\w.@~-]*(?:\/[\w.@~-]+)+\/?$/.test(secret) || secret.includes('://')) return false;
  if (/^[:$?%@{!&*]|^-/.test(secret) && !/^[!&*@%$?][A-Za-z0-9]/.test(secret)) return false;
  if (/^\?\d{1,3}$/.test(secret)) return false;
  return shannonEntropy(secret) >= 3.0 || classes(secret) >= 3;
}

/** A generated secret: long and random (hex, base64, or mixed alphanumerics). */
function looksGenerated(secret: string): boolean {
  if (isPlaceholder(secret) || CODE_LIKE.test(secret) || REGEX_LIKE.test(secret)) return false;
  // Letters alone: random letters (a random token that drew no digit), not a word or an identifier.
  if (/^[A-Za-z]+$/.test(secret)) return randomLetters(secret) && shannonEntropy(secret) >= 3.5;
  if (/^[A-Za-z_$]+$/.test(secret) || /^\d+$/.test(secret)) return false;
  if (/^[A-Fa-f0-9]+$/.test(secret)) return secret.length >= 32 && /[a-fA-F]/.test(secret) && shannonEntropy(secret) >= 3.0;
  return /\d/.test(secret) && /[A-Za-z]/.test(secret) && shannonEntropy(secret) >= 3.5;
}

/** Within a SealedSecret's `encryptedData` or an ansible-vault block: values there are ciphertext. */
function insideEncryptedBlock(text: string, index: number): boolean {
  return /\bencryptedData:|\$ANSIBLE_VAULT;|!vault \|/.test(before(text, index, 4000));
}

/** The name of a name/value pair, ending where its value begins (`- name: X_PASSWORD\n  `, `"name": "X", `). */
const NAME_BEFORE_VALUE = /\b(?:name|key|Name|Key|ParameterKey)\\?["']?[ \t]{0,3}[:=][ \t]{0,3}\\?["']?([\w.:-]{1,80})\\?["']?[ \t]{0,3}[,;]?[ \t]{0,3}(?:\r?\n[ \t-]{0,40})?\\?["']?$/;

const SECRET_NAME = /(?:passw(?:or)?d|passwd|pwd|pass(?:phrase)?|secret|token|api[_-]?key|access[_-]?key|auth[_-]?key|private[_-]?key|credentials?)s?$/i;

/** A name that holds a secret (`DB_PASSWORD`, `clientSecret`, `api_token`) rather than describing one. */
function secretName(name: string): boolean {
  const n = name.replace(/^[\W_]+|[\W_]+$/g, '');
  return SECRET_NAME.test(n) || /(?:passw(?:or)?d|secret|token|api[_-]?key)[_.-]?(?:value|val)?$/i.test(n);
}

/**
 * `password = ...`, `secret: ...`, `api_key => ...` and the other ways code and config assign a secret. Gated by
 * entropy, placeholder words and the shape of the key, because the words themselves are everywhere in code.
 */
export const genericRules = [
  defineRule({
    id: 'sql-password',
    description: 'Password in a SQL statement (CREATE/ALTER USER or ROLE, IDENTIFIED BY, SET PASSWORD)',
    keywords: ['identified', 'password'],
    regex: new RegExp(
      `\\b(?:IDENTIFIED(?:[ \\t]{1,5}WITH[ \\t]{1,5}['"]?\\w{1,40}['"]?)?[ \\t]{1,5}BY|PASSWORD(?:[ \\t]{1,5}FOR[ \\t]{1,5}[^=;\\n]{1,120}?)?[ \\t]{0,5}=?)[ \\t]{1,5}(?:E?(['"]))?${value(3, 128)}`,
      'i',
    ),
    secretGroup: 2,
    help: help('A password in a SQL script or migration logs in to the database as that user. Change it (`vh-secrets rotate` can do it) and set it at deploy time from a secret store.'),
    validate: (secret, match, text) => {
      // `PASSWORD '…'` only where SQL puts it: CREATE/ALTER USER or ROLE … [WITH|LOGIN|ENCRYPTED] PASSWORD, SET PASSWORD.
      if (/^PASSWORD/i.test(match[0]) && !/(?:WITH|LOGIN|ENCRYPTED|UNENCRYPTED|ROLE|USER|SET)[ \t]{1,5}$/i.test(before(text, match.index, 20))) return false;
      if (/^PASSWORD$/i.test(secret) || /^(?:NULL|DEFAULT|RANDOM|\?)$/i.test(secret)) return false;
      if (!match[1] && !/\d/.test(secret)) return false;
      // Unquoted, a leading `:`, `$`, `?`, `%`, `@` or `{` is a bind parameter or variable; quoted, it is only a
      // reference when the whole value is one (`':pw'`, `'$1'`), otherwise a password's first character.
      const reference = match[1] ? WHOLE_REFERENCE.test(secret) : /^[:$?%@{]/.test(secret);
      return !isPlaceholder(secret) && !reference && (shannonEntropy(secret) >= 2.5 || classes(secret) >= 3);
    },
  }),
  defineRule({
    id: 'name-value-secret',
    description: 'Secret in a name/value pair (Kubernetes env, ECS/CloudFormation parameters, XML appSettings)',
    keywords: ['value'],
    // `- name: DB_PASSWORD` / `value: …` on the next line, `{"name": "DB_PASSWORD", "value": "…"}`,
    // `<add key="DbPassword" value="…"/>`, `ParameterKey: …` / `ParameterValue: …`. The regex starts at the value
    // (a literal, quick to find); the name is read just before it.
    regex: new RegExp(`\\b(?:value|Value|ParameterValue)\\\\?["']?[ \\t]{0,3}[:=][ \\t]{0,3}(\\\\?["'\`])?${value(4, 200)}`),
    secretGroup: 2,
    help: help('A secret set as a literal value in a deployment or configuration file. Reference it from a secret store instead (a Kubernetes Secret with `valueFrom.secretKeyRef`, SSM/Secrets Manager parameters).'),
    validate: (secret, match, text) => {
      const name = NAME_BEFORE_VALUE.exec(before(text, match.index, 200))?.[1] ?? '';
      if (!secretName(name) || DESCRIPTIVE_SUFFIX.test(name)) return false;
      return /(?:passw|pwd|pass$)/i.test(name) ? looksLikePassword(secret) : looksGenerated(secret) || looksLikePassword(secret);
    },
  }),
  defineRule({
    id: 'terraform-variable-default',
    description: 'Secret as the default of a Terraform variable',
    keywords: ['variable'],
    regex: /\bvariable[ \t]{1,5}"([\w-]{1,80})"[ \t]{0,3}\{[^}]{0,400}?\bdefault[ \t]{0,3}=[ \t]{0,3}"([^"\n]{4,200})"/,
    secretGroup: 2,
    help: help('A Terraform variable default is stored in the code and in every plan. Mark the variable `sensitive`, drop the default and pass the value from a secret store (TF_VAR_*, Vault provider).'),
    validate: (secret, match) => secretName(match[1] ?? '') && !DESCRIPTIVE_SUFFIX.test(match[1] ?? '') && looksLikePassword(secret),
  }),
  defineRule({
    id: 'config-directive-password',
    description: 'Password in a server or client configuration directive (redis.conf, sentinel, fetchmail, netrc-like files)',
    keywords: ['requirepass', 'masterauth', 'auth-pass', 'password "', "password '", 'passwd "', 'pass "'],
    regex: /(?:^|[ \t])(?:requirepass|masterauth|sentinel[ \t]{1,5}auth-pass[ \t]{1,5}[\w.-]{1,60}|(?:password|passwd|pass)(?=[ \t]{1,10}["']))[ \t]{1,10}(?:(["']))?((?<=")[^"\n]{3,128}(?=")|(?<=')[^'\n]{3,128}(?=')|(?<!["'])[^\s"']{3,128})/m,
    // Bare values are Redis's (requirepass, masterauth, auth-pass): Redis reads `#` as a comment only at the start
    // of a line, so a `#` inside the value is part of the password.
    secretGroup: 2,
    help: help('A password in a configuration file logs in to the server (or mailbox) it configures. Change it and include the file from a secret store at deploy time.'),
    validate: (secret) => !isPlaceholder(secret) && !/^[$%{<]/.test(secret) && !WORDS.test(secret) && !/passw/i.test(secret) && (shannonEntropy(secret) >= 2.5 || classes(secret) >= 3),
  }),
  defineRule({
    id: 'php-define-secret',
    description: 'Secret in a PHP define() (WordPress keys and salts, database password)',
    keywords: ['define'],
    regex: /\bdefine\([ \t]{0,3}['"]([A-Z0-9_]{0,40}(?:KEY|SALT|PASSWORD|PASS|PWD|SECRET|TOKEN|NONCE)[A-Z0-9_]{0,20})['"][ \t]{0,3},[ \t]{0,20}(['"])((?<=')[^'\n]{4,200}(?=')|(?<=")[^"\n]{4,200}(?="))/,
    secretGroup: 3,
    help: help('A secret defined in PHP code (wp-config.php keys and salts sign cookies; DB_PASSWORD logs in to the database). Regenerate it (https://api.wordpress.org/secret-key/1.1/salt/ for salts) and load it from the environment.'),
    validate: (secret, match) => {
      const name = (match[1] ?? '').toUpperCase();
      if (/_(?:ID|USER|HOST|NAME|PATH|FILE|URL|FIELD|LENGTH|TYPE|PREFIX|HINT|LABEL)$/.test(name)) return false;
      if (/PASS|PWD/.test(name)) return looksLikePassword(secret);
      // Salts are drawn from an alphabet with `{`, `}` and `$`: `}}` inside a 64-character salt is chance; a
      // template is the whole value (`{{ wp_auth_key }}`, `${WP_AUTH_KEY}`).
      if (/^[ \t]*(?:\{\{[^}]{0,200}\}\}|\$\{[^}]{0,200}\})[ \t]*$/.test(secret)) return false;
      return !isPlaceholder(secret.replace(/\{\{|\}\}|\$\{/g, '')) && shannonEntropy(secret) >= 3.5;
    },
  }),
  defineRule({
    id: 'xml-secret-element',
    description: 'Secret in an XML element (<password>, Maven/NuGet <server>, FileZilla <Pass>)',
    keywords: ['password>', 'pass>', 'passwd>', 'pwd>', 'secret>', 'token>', 'apikey>', 'passphrase>', 'secretkey>', 'accesskey>'],
    regex: /<((?:[\w-]{1,20}:)?[A-Za-z][\w.-]{0,60})(?:[ \t][^<>\n]{0,200})?>([^<>\n]{3,500})<\/\1>/,
    secretGroup: 2,
    help: help('A secret in an XML configuration file (Maven settings.xml, NuGet.config, FileZilla sitemanager.xml, application config). Use the tool\'s encrypted or environment-variable form and rotate the value.'),
    validate: (secret, match) => {
      const name = (match[1] ?? '').replace(/^[\w-]{1,20}:/, '');
      if (!secretName(name) || DESCRIPTIVE_SUFFIX.test(name)) return false;
      // Maven's own encryption ({…}) and references (${env.X}) are not the secret.
      if (/^\{[A-Za-z0-9+/=]{16,}\}$/.test(secret)) return false;
      return /pass|pwd/i.test(name) ? looksLikePassword(secret) : looksGenerated(secret) || looksLikePassword(secret);
    },
  }),
  defineRule({
    id: 'plist-secret',
    description: 'Secret in a property list (<key>…Password</key><string>…</string>)',
    keywords: ['</key>'],
    regex: /<key>([^<>\n]{1,80})<\/key>[ \t\r\n]{0,40}<string>([^<>\n]{4,300})<\/string>/,
    secretGroup: 2,
    help: help('A secret in a property list (an app bundle or preferences file). Move it to the Keychain or a secret store and rotate it.'),
    validate: (secret, match) => {
      const name = (match[1] ?? '').replace(/\s+/g, '_');
      return secretName(name) && !DESCRIPTIVE_SUFFIX.test(name) && (looksGenerated(secret) || looksLikePassword(secret));
    },
  }),
  defineRule({
    id: 'cli-credential-argument',
    description: 'Credential passed on a command line (--password, --token, -p, login -t)',
    keywords: ['--pass', '--token', '--secret', '--api', '--auth', '--access', '--client-secret', '--key', ' -p', ' -t'],
    regex: new RegExp(
      `(?:--(?:password|passwd|pass|token|secret|api-key|apikey|api-token|auth-token|access-token|access-key|secret-key|client-secret|key)(?:=|[ \\t]{1,3})` +
        `|\\b(?:mysql\\w{0,10}|mariadb\\w{0,10})\\b[^\\n]{0,200}?[ \\t]-p(?=[^\\s-])` +
        `|\\b(?:sshpass|mongo(?:sh|dump|restore)?)\\b[^\\n]{0,200}?[ \\t]-p[ \\t]{1,3}` +
        `|\\b(?:login|logon|auth(?:enticate)?(?:[ \\t]{1,3}(?:init|login))?)\\b[^\\n]{0,120}?[ \\t]-[pt][ \\t]{1,3})(["']?)${value(4, 200)}`,
    ),
    secretGroup: 2,
    help: help('A credential on a command line ends up in shell history, CI logs and `ps` output. Pass it through an environment variable or stdin (`--password-stdin`) from a secret store, and rotate it.'),
    validate: (secret, match) => {
      if (/^[$%<{-]/.test(secret) || /\$\{\{/.test(secret)) return false;
      const m = match[0];
      if (/^--(?:key)\b/.test(m) && !looksGenerated(secret)) return false;
      return /--pass|-p/.test(m) ? looksLikePassword(secret) : looksGenerated(secret) || (looksLikePassword(secret) && secret.length >= 12);
    },
  }),
  defineRule({
    id: 'dockerfile-env-secret',
    description: 'Secret baked into an image by a Dockerfile ENV or ARG default',
    keywords: ['env ', 'arg ', 'env\t', 'arg\t'],
    regex: /^[ \t]*(?:ENV|ARG)[ \t]+([A-Za-z0-9_]{1,80})(?:[ \t]+|[ \t]*=[ \t]*)(["']?)((?<=")[^"\n]{4,200}(?=")|(?<=')[^'\n]{4,200}(?=')|(?<!["'])[^\s"'\\]{4,200})/m,
    secretGroup: 3,
    help: help('A secret in a Dockerfile ENV/ARG is stored in every layer and in `docker history`. Use build secrets (`RUN --mount=type=secret`) or runtime injection, and rotate the value.'),
    validate: (secret, match) => {
      const name = match[1] ?? '';
      if (!secretName(name) || DESCRIPTIVE_SUFFIX.test(name)) return false;
      return /passw|pwd|pass$/i.test(name) ? looksLikePassword(secret) : looksGenerated(secret) || looksLikePassword(secret);
    },
  }),
  defineRule({
    id: 'comment-secret',
    description: 'Credential written in a comment (# old key: …, // staging value: …)',
    keywords: ['key:', 'key =', 'key=', 'value:', 'value =', 'value=', 'key is', 'value is', 'key was'],
    regex: /\b(?:key|value)[ \t]{0,3}(?::|=|\bis\b|\bwas\b)[ \t]{0,3}(["'`]?)((?<=["'`])[^"'`\s]{12,128}(?=["'`])|(?<!["'`])[A-Za-z0-9+/=_.~!@#$%^&*-]{12,128})/i,
    secretGroup: 2,
    help: help('A credential kept in a comment is still in the code and its history. Remove it and revoke it at its issuer.'),
    validate: (secret, match, text) => {
      // The line so far is a comment marker and a few words (`# old key:`, `// staging value:`).
      const head = before(text, match.index, 121);
      const nl = head.lastIndexOf('\n');
      if (nl === -1 && match.index > 120) return false;
      if (!/^[ \t]*(?:#|\/\/|--|\/\*|\*|<!--|;)[ \t]{0,5}(?:[\w.-]{1,20}[ \t]{1,3}){0,4}$/.test(head.slice(nl + 1))) return false;
      return looksGenerated(secret) && (((/\d/.test(secret) || randomLetters(secret)) && /[A-Z]/.test(secret) && /[a-z]/.test(secret)) || /^[a-f0-9]{32,}$/i.test(secret));
    },
  }),
  defineRule({
    id: 'generic-key-assignment',
    description: 'Random key assigned to a name ending in "key" (masterKey, encryption_key, sdk_key)',
    keywords: ['key'],
    path: /^(?!.*(?:\.lock|-lock\.json|lock\.yaml|\.sum|\.svg|\.map)$)/,
    // The value ends where the string or the line does: a key whose value goes on with symbols (`…&1vc#`) is a
    // password-like secret for the rule below, not a shorter key to report in part.
    regex: /(?:key|KEY|Key)(?:\\?["'])?[ \t]{0,3}(?::=|=>|[:=])[ \t]{0,3}(?:\\?["'`])?([A-Fa-f0-9]{32,128}|[A-Za-z0-9+/_-]{24,256}={0,2}(?![A-Za-z0-9+/=_-])(?=\\?["'`]|[\s,;)}\]]|$)|(?<=")[^"\s\\]{24,256}(?=\\?")|(?<=')[^'\s\\]{24,256}(?=\\?'))(?![A-Za-z0-9+/=_-])/,
    help: help('A random value assigned to a key variable (an encryption, signing, master or SDK key). Rotate it and load it from a secret store.'),
    validate: (secret, match, text) => {
      const ident = /[A-Za-z0-9_.-]{1,48}$/.exec(before(text, match.index, 48))?.[0];
      if (!ident || /^\./.test(ident)) return false;
      const name = `${ident}key`;
      if (/(?:public|publishable|pub|site|cache|storage|sort|primary|foreign|partition|idempotency|hash|lookup|map|index|i18n|translation|route|query|react|component|unique|row|column|table|object|file|bucket|event|message|item|list|group|entity|field|parent|child|next|prev|cursor|page|signin|fingerprint|join|hot|short|display|label|type|kind|locale|lang|store|state|request|response|local|session_?storage|memo|dict|props?|redis|i18n|config|setting|option|sha\d{0,3}|md5|checksum|integrity|commit|revision|etag|nonce|uuid|guid|id)[_.-]?key$/i.test(name)) return false;
      // A symbol-rich value of a secret_key/api_key/access_key: generic-secret-assignment reports it, as a password-like secret.
      // A random value has a digit, or is padded base64 (base64 of text may have none), or is random letters.
      if (/[^A-Za-z0-9+/=_-]/.test(secret) && /(?:secret|api|access|auth|private)[_.-]?key$/i.test(name)) return false;
      const random = /^[A-Fa-f0-9]+$/.test(secret)
        ? looksGenerated(secret)
        : (/\d/.test(secret) || (/^[A-Za-z0-9+/]+={1,2}$/.test(secret) && secret.length % 4 === 0) || randomLetters(secret)) && /[A-Z]/.test(secret) && /[a-z]/.test(secret) && shannonEntropy(secret) >= 4.0 && !isPlaceholder(secret) && !REGEX_LIKE.test(secret) && !CODE_LIKE.test(secret) && !secret.includes('://');
      return random && !insideEncryptedBlock(text, match.index);
    },
  }),
  defineRule({
    id: 'generic-secret-assignment',
    description: 'Secret assigned to a password, secret, token or key variable',
    keywords: ['password', 'passwd', 'pwd', 'pass', 'secret', 'token', 'api_key', 'apikey', 'api-key', 'access_key', 'accesskey', 'auth_key', 'credential', 'private_key', 'privatekey'],
    regex: new RegExp(
      `(passw(?:or)?d|pwd|pass(?:phrase)?|secret|token|api[_-]?key|access[_-]?key|auth[_-]?key|private[_-]?key|credentials?)([A-Za-z0-9_.-]{0,20}?)(?:\\\\?["'])?\\s{0,3}(?::=|=>|=|:)\\s{0,3}(\\\\?["'\`])?${value(6, 128)}`,
      'i',
    ),
    secretGroup: 4,
    help: help('A value assigned to a password/secret/token variable looks like a real credential.'),
    validate: (secret, match, text) => {
      const keyword = (match[1] ?? '').toLowerCase();
      const suffix = match[2] ?? '';
      const quoted = (match[3] ?? '') !== '';
      const password = keyword.startsWith('pass') || keyword === 'pwd';
      // `tokenizer`, `secretary`, `passwordless`: the keyword is only part of another word.
      if (DESCRIPTIVE_SUFFIX.test(suffix) || (/^[a-z]/.test(suffix) && suffix !== 's')) return false;
      if ((keyword === 'pass' || keyword === 'passphrase') && suffix !== '' && suffix !== 's') return false;
      if (keyword === 'pass' || keyword === 'pwd') {
        // `bypass`, `compass`, `cwd`: a shorter keyword inside a longer word (camelCase `smtpPass` is fine).
        const prev = before(text, match.index, 1);
        const first = (match[1] ?? '')[0] ?? '';
        if (/[a-z]/.test(prev) && /[a-z]/.test(first)) return false;
        if (/[A-Z]/.test(prev) && /[A-Z]/.test(first)) return false;
      }
      if (secret.length < (password ? 6 : 8)) return false;
      if (/\s/.test(secret) && keyword !== 'passphrase') return false;
      // Random letters with no digit (`wUXRkLJeocAsMocCQErF`) are a token; words and identifiers are not.
      const letters = randomLetters(secret);
      if (CODE_LIKE.test(secret) || isPlaceholder(secret) || /^!vault\b/.test(secret) || REGEX_LIKE.test(secret) || (WORDS.test(secret) && !letters)) return false;
      if (!quoted && !/\d/.test(secret) && !(password && classes(secret) >= 3) && !letters) return false;
      // Words and identifiers (`DefaultAzureCredential`), paths, URLs and names that repeat the key word.
      if ((/^[A-Za-z_$]+$/.test(secret) && !letters) || /^[\w.@~-]*(?:\/[\w.@~-]+)+\/?$/.test(secret) || secret.includes('://')) return false;
      if (secret.toLowerCase().includes(keyword.replace(/[_-]/g, '').slice(0, 5))) return false;
      // A reference to where a secret lives (`prod-vault:app/db#password`, `secret/data/app:token`), not a secret.
      if (/[:/#]/.test(secret) && /(?:passw(?:or)?d|pwd|secret|token|api[_-]?key|key)s?$/i.test(secret)) return false;
      // A leading `:`, `$`, `%`, `@`, `{` marks a variable or parameter; quoted, only when it is the whole value
      // (`":pw"`, `"%{[db][pw]}"`): a generated secret may start with any symbol. A bind parameter written with
      // `?` is `?` alone or `?` and a number (JDBC, ODBC, JPA `?1`), so `password=?k3…` in my.cnf is a password.
      if (quoted ? WHOLE_REFERENCE.test(secret) : (/^[:$%@{]/.test(secret) && !/^[$%@][A-Za-z0-9]{2}/.test(secret)) || /^\?\d{0,3}$/.test(secret)) return false;
      if (/^\$[A-Z_][A-Z0-9_]*$/.test(secret)) return false;
      if (insideEncryptedBlock(text, match.index)) return false;
      if (password) return shannonEntropy(secret) >= 3.0 || (classes(secret) >= 3 && secret.length >= 6);
      // Hex has 16 symbols: 32 random hex digits often measure under 3.5 bits (a Slack signing secret, a Rails
      // secret_key_base); hold hex to the generated-hex bar (32+ digits, some letters, 3 bits).
      if (/^[A-Fa-f0-9]+$/.test(secret)) return looksGenerated(secret);
      return shannonEntropy(secret) >= 3.5;
    },
  }),
];
