/**
 * Fixtures of the syntaxes a credential is written in (SQL, Kubernetes env, Terraform, server directives, XML,
 * PHP, command lines, Dockerfiles, comments, notebooks) and of values that sit where a credential would but are
 * not one (ciphertexts, hashes, templates). Values are generated at run time.
 */
import { ALNUM, B64, DIGITS, HEX, LOWER, UPPER, cat, rand } from '../fakes.js';
import { shannonEntropy } from '../../../src/scan/entropy.js';
import type { Case } from './families.js';

const SYMBOLS = '!#%&*+-=?@^_~';
/** A human-chosen password: capital, lower case, digits and a symbol (`Tavrel42!kq`). */
export const humanPassword = (): string => cat(rand(UPPER, 1), rand(LOWER, 5), rand(DIGITS, 2), rand(SYMBOLS, 1), rand(LOWER, 2));
/** A generated password with symbols anywhere, as password managers make them. */
const generated = (n = 20): string => {
  for (;;) {
    const s = rand(`${ALNUM}!#%&*+-=?@^_~`, n);
    if (/\d/.test(s) && /[A-Z]/.test(s) && /[a-z]/.test(s) && /[^A-Za-z0-9]/.test(s) && !/^[-@%]/.test(s)) return s;
  }
};
/** 32 random hex digits that measure between 3.0 and 3.5 bits (about one in five does). */
const plainHex = (): string => {
  for (;;) {
    const s = rand(HEX, 32);
    const e = shannonEntropy(s);
    if (e >= 3.0 && e < 3.5 && /[a-f]/.test(s)) return s;
  }
};
/** Alphanumerics drawn uniformly, as token generators draw them (a 24-character one holds no digit one time in 68). */
const mixed = (n: number): string => rand(ALNUM, n);

/** Letters-only placeholder words, which a random token can hold by chance. */
const PLACEHOLDER_WORDS = ['fake', 'todo', 'dummy', 'sample', 'lorem', 'fixme', 'insert', 'qwerty'];
/**
 * A random token that holds a placeholder word inside it, as now and then a random token does: the word is part
 * of a longer run of letters (`…Qfakem…`, `…ZTODO7…`), never a word of its own.
 */
const randomWithWord = (): string => {
  const word = PLACEHOLDER_WORDS[Number.parseInt(rand(HEX, 2), 16) % PLACEHOLDER_WORDS.length]!;
  const lower = rand('01', 1) === '0';
  const inside = lower ? cat(rand(UPPER + LOWER, 1), word, rand(LOWER, 1)) : cat(rand(UPPER, 1), word.toUpperCase(), rand(DIGITS, 1));
  return cat(mixed(Number.parseInt(rand(DIGITS, 1), 10) + 8), inside, mixed(14));
};

/** Random letters of both cases and no digit, as one random base62 token in 34 (20 characters) is drawn. */
export const randomLetters = (n: number): string => {
  for (;;) {
    const s = rand(UPPER + LOWER, n);
    if (/[A-Z]/.test(s) && /[a-z]/.test(s)) return s;
  }
};
/** Base64 of random text that holds no digit, as base64 of text now and then does. */
const base64NoDigit = (): string => {
  for (;;) {
    const s = Buffer.from(rand(UPPER + LOWER, 32)).toString('base64');
    if (!/\d/.test(s)) return s;
  }
};

/**
 * Where a random token with no digit is written, for the rate test in rules.test.ts: random letters pass the
 * shape test (`randomLetters` in src/scan/entropy.ts) 95–99.6 % of the time, so they are tested as a rate over
 * many draws, not one by one.
 */
export const LETTER_TOKEN_SYNTAXES: ((p: string) => { text: string; file: string })[] = [
  (p) => ({ text: `client_secret = "${p}"`, file: 'app/oauth.py' }),
  (p) => ({ text: `SLACK_BOT_SECRET=${p}\n`, file: '.env' }),
  (p) => ({ text: `  api_token: '${p}'\n`, file: 'config/app.yml' }),
  (p) => ({ text: `{"access_token": "${p}", "expires_in": 3600}`, file: 'token.json' }),
];

function cases(rule: string, find: (() => { text: string; secret: string; file?: string })[], miss: (() => string | { text: string; file?: string })[]): Case {
  return {
    rule,
    find: () => find.map((f) => f()),
    miss: () => miss.map((m) => {
      const x = m();
      return typeof x === 'string' ? { text: x } : x;
    }),
  };
}

export const SYNTAX_CASES: Case[] = [
  cases(
    'sql-password',
    [
      () => { const p = humanPassword(); return { text: `CREATE USER 'app'@'%' IDENTIFIED BY '${p}';`, secret: p }; },
      () => { const p = humanPassword(); return { text: `ALTER USER app WITH PASSWORD '${p}';`, secret: p }; },
      () => { const p = generated(); return { text: `CREATE ROLE reporting LOGIN PASSWORD '${p}';`, secret: p }; },
      () => { const p = humanPassword(); return { text: `create user app identified with mysql_native_password by "${p}";`, secret: p }; },
      () => { const p = humanPassword(); return { text: `SET PASSWORD FOR 'app'@'localhost' = '${p}';`, secret: p }; },
      () => { const p = cat(rand(UPPER, 3), rand(DIGITS, 4), rand(LOWER, 3)); return { text: `CREATE USER scott IDENTIFIED BY ${p};`, secret: p }; },
      () => { const p = cat('?', mixed(6), '#', generated(12)); return { text: `CREATE ROLE reporting LOGIN PASSWORD '${p}';`, secret: p }; },
    ],
    [
      () => "CREATE USER app IDENTIFIED BY PASSWORD '*" + rand('0123456789ABCDEF', 40) + "';",
      () => `ALTER ROLE app WITH PASSWORD 'md5${rand(HEX, 32)}';`,
      () => `ALTER ROLE app PASSWORD 'SCRAM-SHA-256$4096:${rand(B64, 24)}$${rand(B64, 44)}:${rand(B64, 44)}';`,
      () => 'ALTER USER app WITH PASSWORD :new_password;',
      () => "CREATE USER app IDENTIFIED BY '${DB_PASSWORD}';",
      () => "ALTER USER postgres WITH PASSWORD 'postgres';",
      () => 'CREATE USER app WITH PASSWORD $1',
      () => "ALTER USER app WITH PASSWORD ':new_password';",
      () => "CREATE USER app WITH PASSWORD '$1';",
      () => "ALTER ROLE app LOGIN PASSWORD '%{[db][password]}';",
    ],
  ),
  cases(
    'name-value-secret',
    [
      () => { const p = humanPassword(); return { text: `env:\n  - name: DB_PASSWORD\n    value: "${p}"\n`, secret: p, file: 'k8s/deploy.yaml' }; },
      () => { const p = mixed(32); return { text: `        - name: STRIPE_API_TOKEN\n          value: ${p}\n`, secret: p, file: 'k8s/deploy.yaml' }; },
      () => { const p = generated(); return { text: `"environment": [{"name": "APP_SECRET", "value": "${p}"}]`, secret: p, file: 'ecs/task.json' }; },
      () => { const p = humanPassword(); return { text: `<add key="ClearTextPassword" value="${p}" />`, secret: p, file: 'NuGet.Config' }; },
      () => { const p = humanPassword(); return { text: `<add key="DbPassword" value="${p}"/>`, secret: p, file: 'web.config' }; },
      () => { const p = humanPassword(); return { text: `<packageSourceCredentials>\n  <corp-feed>\n    <add key="Username" value="ci-bot" />\n    <add key="ClearTextPassword" value="${p}" />\n  </corp-feed>\n</packageSourceCredentials>`, secret: p, file: 'nuget.config' }; },
      () => { const p = humanPassword(); return { text: `- ParameterKey: MasterUserPassword\n  ParameterValue: ${p}\n`, secret: p, file: 'cfn/params.yaml' }; },
    ],
    [
      () => 'env:\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef: {name: db, key: password}\n',
      () => `env:\n  - name: DB_PASSWORD_FILE\n    value: /run/secrets/${rand(LOWER, 8)}\n`,
      () => '  - name: DB_PASSWORD\n    value: "{{ .Values.db.password }}"\n',
      () => `  - name: LOG_LEVEL\n    value: ${mixed(20)}\n`,
      () => '<add key="Username" value="deploy-bot" />',
      () => '  - name: API_TOKEN\n    value: ClientCredentialsGrantHandler\n',
    ],
  ),
  cases(
    'terraform-variable-default',
    [
      () => { const p = humanPassword(); return { text: `variable "db_password" {\n  type      = string\n  default   = "${p}"\n  sensitive = true\n}`, secret: p, file: 'variables.tf' }; },
      () => { const p = mixed(40); return { text: `variable "api_token" {\n  default = "${p}"\n}`, secret: p, file: 'main.tf' }; },
    ],
    [
      () => 'variable "db_password" {\n  type = string\n  sensitive = true\n}',
      () => `variable "db_password_length" {\n  default = "${rand(DIGITS, 2)}"\n}`,
      () => `variable "region" {\n  default = "${mixed(12)}"\n}`,
    ],
  ),
  cases(
    'config-directive-password',
    [
      () => { const p = generated(); return { text: `bind 0.0.0.0\nrequirepass ${p}\n`, secret: p, file: 'redis.conf' }; },
      () => { const p = humanPassword(); return { text: `masterauth "${p}"\n`, secret: p, file: 'redis.conf' }; },
      () => { const p = cat(mixed(6), '#', mixed(6), '!'); return { text: `port 6379\nrequirepass ${p}\n`, secret: p, file: 'redis.conf' }; },
      () => { const p = cat('#', mixed(14)); return { text: `replicaof 10.0.0.5 6379\nmasterauth ${p}\n`, secret: p, file: 'redis-replica.conf' }; },
      () => { const p = humanPassword(); return { text: `sentinel auth-pass mymaster ${p}\n`, secret: p, file: 'sentinel.conf' }; },
      () => { const p = humanPassword(); return { text: `poll mail.corp.io protocol imap user "ops" password "${p}"\n`, secret: p, file: '.fetchmailrc' }; },
      () => { const p = humanPassword(); return { text: `hostname smtp.corp.io:587\nusername ops\npassword '${p}'\n`, secret: p, file: '.esmtprc' }; },
    ],
    [
      () => '# requirepass foobared\n',
      () => 'requirepass ${REDIS_PASSWORD}\n',
      () => 'Enter the password "below" to continue',
      () => 'masterauth <master-password>\n',
    ],
  ),
  cases(
    'php-define-secret',
    [
      () => { const p = rand(`${ALNUM}!#%&()*+,-./:;<=>?@[]^_{|}~`, 64).replace(/'/g, '"'); return { text: `define( 'AUTH_KEY',         '${p}' );`, secret: p, file: 'wp-config.php' }; },
      () => { const p = humanPassword(); return { text: `define('DB_PASSWORD', '${p}');`, secret: p, file: 'wp-config.php' }; },
      () => { const p = rand(`${ALNUM}!@#$%^&*()-_=+`, 64); return { text: `define("NONCE_SALT", "${p}");`, secret: p, file: 'wp-config.php' }; },
      () => { const p = cat(mixed(20), '}}', rand(`${ALNUM}!#%&*+-=?@^_~<>[]`, 20), '{{', mixed(10), '${', mixed(8)); return { text: `define( 'SECURE_AUTH_SALT', '${p}' );`, secret: p, file: 'wp-config.php' }; },
    ],
    [
      () => "define( 'AUTH_KEY', 'put your unique phrase here' );",
      () => "define('DB_PASSWORD', getenv('WORDPRESS_DB_PASSWORD'));",
      () => "define('DB_PASSWORD', 'password');",
      () => `define('DB_PASSWORD_FIELD', '${humanPassword()}');`,
      () => ({ text: "define( 'AUTH_KEY', '{{ wp_auth_key }}' );", file: 'templates/wp-config.php.j2' }),
      () => "define( 'NONCE_SALT', '${WP_NONCE_SALT}' );",
      () => {
        // Built apart so that this source line is itself no define of a secret (the repository's own scan stays clean).
        const salt = cat(mixed(20), '}}', 'put your unique phrase here');
        return `define( 'LOGGED_IN_KEY', '${salt}' );`;
      },
    ],
  ),
  cases(
    'xml-secret-element',
    [
      () => { const p = humanPassword(); return { text: `<server>\n  <id>nexus</id>\n  <username>deploy</username>\n  <password>${p}</password>\n</server>`, secret: p, file: '.m2/settings.xml' }; },
      () => { const p = Buffer.from(humanPassword()).toString('base64'); return { text: `<Server><Host>ftp.corp.io</Host><User>ops</User><Pass encoding="base64">${p}</Pass></Server>`, secret: p, file: 'sitemanager.xml' }; },
      () => { const p = mixed(40); return { text: `<apiToken>${p}</apiToken>`, secret: p, file: 'config.xml' }; },
    ],
    [
      () => '<password>${env.NEXUS_PASSWORD}</password>',
      () => `<password>{${rand(B64, 44)}}</password>`,
      () => '<passwordPolicy>strong</passwordPolicy>',
      () => '<password></password>',
    ],
  ),
  cases(
    'plist-secret',
    [() => { const p = mixed(32); return { text: `<key>APIToken</key>\n\t<string>${p}</string>`, secret: p, file: 'Info.plist' }; }],
    [() => `<key>CFBundleName</key>\n<string>${mixed(20)}</string>`, () => '<key>PasswordHint</key><string>Your first pet</string>', () => '<key>APIToken</key>\n<string>KeychainAccessGroupName</string>'],
  ),
  cases(
    'cli-credential-argument',
    [
      () => { const p = humanPassword(); return { text: `mysql -h db.internal -u root -p${p} app < dump.sql`, secret: p, file: 'scripts/restore.sh' }; },
      () => { const p = mixed(40); return { text: `heroku login --token ${p}`, secret: p, file: 'README.md' }; },
      () => { const p = mixed(36); return { text: `  run: doctl auth init -t ${p}`, secret: p, file: '.github/workflows/deploy.yml' }; },
      () => { const p = humanPassword(); return { text: `docker login registry.corp.io -u ci -p ${p}`, secret: p, file: '.gitlab-ci.yml' }; },
      () => { const p = humanPassword(); return { text: `./manage.py createsuperuser --password="${p}"`, secret: p, file: 'Makefile' }; },
      () => { const p = humanPassword(); return { text: `sshpass -p '${p}' ssh ops@host`, secret: p, file: 'deploy.sh' }; },
    ],
    [
      () => 'docker login -u "$CI_USER" -p "$CI_PASSWORD" registry.corp.io',
      () => 'docker run -p 8080:80 nginx',
      () => 'mysql -u root -p app',
      () => 'gh auth login --with-token < token.txt',
      () => 'vault login -method=userpass username=ops',
      () => 'doctl auth init -t ${{ secrets.DO_TOKEN }}',
      () => 'app --password=<password>',
      () => 'app --token ReadFromEnvironmentVariable',
    ],
  ),
  cases(
    'dockerfile-env-secret',
    [
      () => { const p = humanPassword(); return { text: `FROM postgres:16\nENV POSTGRES_PASSWORD ${p}\n`, secret: p, file: 'Dockerfile' }; },
      () => { const p = mixed(40); return { text: `ARG NPM_TOKEN=${p}\n`, secret: p, file: 'Dockerfile' }; },
    ],
    [() => 'ENV POSTGRES_PASSWORD_FILE /run/secrets/db\n', () => 'ARG NPM_TOKEN\n', () => 'ENV DB_PASSWORD=${DB_PASSWORD}\n'],
  ),
  cases(
    'comment-secret',
    [
      () => { const p = mixed(32); return { text: `# old key: ${p}\nAPI_KEY = os.environ["API_KEY"]`, secret: p, file: 'app/settings.py' }; },
      () => { const p = mixed(24); return { text: `// staging value: "${p}"`, secret: p, file: 'src/client.ts' }; },
    ],
    [() => '# key: value pairs are read below', () => `// value: ${rand(LOWER, 20)}`, () => '# the key is stored in Vault', () => '# old key: DefaultAzureCredentialProvider'],
  ),
  cases(
    'generic-key-assignment',
    [
      () => { const p = rand(HEX, 64); return { text: `masterKey: "${p}"`, secret: p }; },
      () => { const p = Buffer.from(rand(ALNUM, 32)).toString('base64'); return { text: `ENCRYPTION_KEY=${p}`, secret: p }; },
      () => { const p = mixed(32); return { text: `const sdkKey = '${p}';`, secret: p }; },
      () => { const p = rand(HEX, 40); return { text: `{"source": ["signing_key = \\"${p}\\"\\n"]}`, secret: p, file: 'notebook.ipynb' }; },
      () => { const p = mixed(32); return { text: `sdk_key = "${p}"`, secret: p, file: 'app/flags.py' }; },
      () => { const p = rand(HEX, 64); return { text: `storage:\n  encryption_key: ${p}\n`, secret: p, file: 'config/app.yaml' }; },
      () => { const p = cat(mixed(8), '&', generated(31)); return { text: `encryption_key = '${p}'`, secret: p, file: 'app/settings.py' }; },
      () => { const p = base64NoDigit(); return { text: `ENCRYPTION_KEY=${p}\n`, secret: p, file: '.env' }; },
      () => { const p = base64NoDigit(); return { text: `crypto:\n  encryption_key: ${p}\n`, secret: p, file: 'config/app.yaml' }; },
      () => { const p = base64NoDigit(); return { text: `{"masterKey": "${p}"}`, secret: p, file: 'parse-server.json' }; },
    ],
    [
      () => `cacheKey: "${rand(HEX, 64)}"`,
      () => `publicKey = "${rand(B64, 44)}"`,
      () => `primaryKey: ${mixed(32)}`,
      () => `key: "${rand(HEX, 32)}"`,
      () => `recaptchaSiteKey = '${mixed(40)}'`,
      () => ({ text: `"integrityKey": "${rand(HEX, 64)}"`, file: 'package-lock.json' }),
      // Only part of a longer value: not reported as a shorter key.
      () => `masterKey=${mixed(24)}&${mixed(8)}`,
      // A secret_key with symbols is generic-secret-assignment's.
      () => `SECRET_KEY = '${cat(mixed(8), '&', generated(31))}'`,
      () => `signingKey: '^[A-Za-z0-9_-]{43}=$'`,
      () => `cacheKey: "${base64NoDigit()}"`,
      () => `encryption_key: ${Buffer.from(rand(UPPER, 1).repeat(32)).toString('base64')}`,
      () => `masterKey = "${cat(randomLetters(20), '=')}"`,
      () => 'masterKey: "ApplicationMasterKeyFromVault"',
    ],
  ),
  cases(
    'generic-secret-assignment',
    [
      () => { const p = humanPassword(); return { text: `{"cells": [{"source": ["db_password = \\"${p}\\"\\n"]}]}`, secret: p, file: 'analysis.ipynb' }; },
      () => { const p = rand(`${ALNUM}!@#$%^&*(-_=+)`, 50); return { text: `SECRET_KEY = '${p}'`, secret: p, file: 'mysite/settings.py' }; },
      () => { const p = humanPassword(); return { text: `{"host": "ftp.corp.io", "user": "deploy", "pass": "${p}"}`, secret: p, file: '.vscode/sftp.json' }; },
      () => { const p = cat(rand(LOWER, 4), ' ', rand(LOWER, 5), ' ', rand(LOWER, 4), rand(DIGITS, 2)); return { text: `"passphrase": "${p}"`, secret: p, file: 'deploy.json' }; },
      () => { const p = humanPassword(); return { text: `<dataSource password="${p}" user="sa"/>`, secret: p, file: '.idea/dataSources.xml' }; },
      () => { const p = humanPassword(); return { text: `mysql:\n  host: db\n  password: ${p}\n`, secret: p, file: 'group_vars/all.yml' }; },
      () => { const p = humanPassword(); return { text: `[client]\npassword = "${p}"\n`, secret: p, file: 'my.cnf' }; },
      () => { const p = mixed(24); return { text: `auth_token: ${p}`, secret: p }; },
      () => { const p = humanPassword(); return { text: `[databases]\nappdb = host=db.internal port=5432 dbname=app user=app password=${p}\n`, secret: p, file: 'pgbouncer.ini' }; },
      () => { const p = cat(rand(LOWER, 1), generated(19)); return { text: `[client]\nuser=root\npassword=${p}\n`, secret: p, file: 'home/.my.cnf' }; },
      () => { const p = humanPassword(); return { text: `postgresql:\n  auth:\n    username: app\n    postgresPassword: "${p}"\n`, secret: p, file: 'charts/app/values.yaml' }; },
      () => { const p = humanPassword(); return { text: `- name: create the app user\n  community.mysql.mysql_user:\n    name: app\n    password: "${p}"\n    priv: "app.*:ALL"\n`, secret: p, file: 'roles/db/tasks/main.yml' }; },
      () => { const p = plainHex(); return { text: `SLACK_SIGNING_SECRET=${p}`, secret: p }; },
      () => { const p = plainHex(); return { text: `  app_secret: "${p}"`, secret: p, file: 'config/app.yml' }; },
      () => { const p = cat('M(', mixed(8), ')', generated(38)); return { text: `SECRET_KEY = '${p}'`, secret: p, file: 'mysite/settings.py' }; },
      () => { const p = cat('%', mixed(6), '&', generated(40)); return { text: `SECRET_KEY = "${p}"`, secret: p, file: 'mysite/settings.py' }; },
      // my.cnf and other INI files have no parameter syntax: an unquoted value starting with `?` is the password.
      () => { const p = cat('?', generated(19)); return { text: `[client]\nuser=root\npassword=${p}\n`, secret: p, file: 'home/.my.cnf' }; },
      () => { const p = cat('?', humanPassword()); return { text: `[mysqldump]\nuser = backup\npassword = ${p}\n`, secret: p, file: 'etc/mysql/conf.d/backup.cnf' }; },
      () => { const p = cat('?', mixed(16)); return { text: `[databases]\nappdb = host=db.internal dbname=app user=app password=${p}\n`, secret: p, file: 'pgbouncer.ini' }; },
      () => { const p = cat('?', generated(15)); return { text: `DB_PASSWORD=${p}\n`, secret: p, file: '.env.production' }; },
      () => { const p = cat('?', mixed(6), '#', mixed(8)); return { text: `mysql:\n  password: ${p}\n`, secret: p, file: 'group_vars/db.yml' }; },
      // A password holding what reads as percent-encoding (`%0C`, `%1D`) is one secret, not its decoded pieces too.
      () => { const p = cat(mixed(4), rand(DIGITS, 2), '%', rand('01', 1), rand('9ACD', 1), generated(10)); return { text: `[client]\npassword=${p}\n`, secret: p, file: 'home/.my.cnf' }; },
      // A random token that happens to hold a placeholder word inside it is still a token.
      () => { const p = randomWithWord(); return { text: `api_token = "${p}"`, secret: p, file: 'app/settings.py' }; },
      () => { const p = randomWithWord(); return { text: `AUTH_TOKEN=${p}`, secret: p, file: '.env' }; },
      () => { const p = randomWithWord(); return { text: `  client_secret: ${p}\n`, secret: p, file: 'config/oauth.yml' }; },
      () => { const p = randomWithWord(); return { text: `{"access_token": "${p}", "token_type": "bearer"}`, secret: p, file: 'config.json' }; },
    ],
    [
      () => `password: ENC[AES256_GCM,data:${rand(B64, 24)},iv:${rand(B64, 43)}=,tag:${rand(B64, 22)}==,type:str]`,
      () => `password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  ${rand(DIGITS, 64)}\n`,
      () => `apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nspec:\n  encryptedData:\n    password: Ag${rand(B64, 300)}\n`,
      () => `password_hash: "$2b$12$${rand(`${ALNUM}./`, 53)}"`,
      () => `password = "$argon2id$v=19$m=65536,t=3,p=4$${rand(B64, 22)}$${rand(B64, 43)}"`,
      () => `password: "pbkdf2_sha256$600000$${rand(ALNUM, 22)}$${rand(B64, 44)}="`,
      () => `root_password: "$6$${rand(ALNUM, 16)}$${rand(`${ALNUM}./`, 86)}"`,
      () => `secret: "AQICAH${rand(B64, 120)}"`,
      () => 'password: "{{ .Values.db.password }}"',
      () => 'password: <your-password>',
      () => 'password = "${DB_PASSWORD}"',
      () => 'password = "changeme-please"',
      () => '"bypass": "Q8w!zz9v"',
      () => '"password": "Passwort"',
      () => '"passwordHint": "Name of your first pet"',
      () => `secret_token = "${'1a2b3c'.repeat(6)}"`,
      () => `app_secret: "${cat('a', '0'.repeat(31))}"`,
      () => 'token = "%{[fields][tok]}"',
      () => 'password = ":db_pass"',
      () => 'api_key: "@ApiKey"',
      () => 'client_secret: "decrypt(blob)"',
      // Identifiers and words of both cases with no digit: a name, not a token.
      () => 'client_secret = "DefaultAzureCredentialOptions"',
      () => 'SESSION_SECRET=RotateDailyFromVaultPolicy',
      () => '  api_token: "RefreshAccessOnExpiry"',
      () => '"access_token": "ClientCredentialsGrantHandler"',
      () => 'secret: CorrectHorseBatteryStapleWords',
      // Bind parameters: JDBC/ODBC `?`, positional `?1`.
      () => 'UPDATE users SET password=? WHERE id=?',
      () => `query("SELECT * FROM accounts WHERE token = ?1 AND tenant = ?2")`,
      () => ({ text: '[client]\npassword=?${MYSQL_PWD}\n', file: 'home/.my.cnf' }),
      // Placeholders written as words, whatever the case and separators.
      () => `api_token = "fake_token_${rand(DIGITS, 4)}"`,
      () => 'AUTH_TOKEN=your-todo-here',
      () => 'client_secret: "<todo>"',
      () => `api_key = "FAKE-API-KEY-${rand(DIGITS, 6)}"`,
      () => `client_secret = "myFakeSecret${rand(DIGITS, 4)}"`,
      () => `token = "faketoken${rand(DIGITS, 6)}"`,
      () => `SECRET_TOKEN=TODO_${rand(UPPER, 4)}${rand(DIGITS, 2)}`,
      () => `password: "dummyPassword${rand(DIGITS, 3)}!"`,
      () => `secret = "${rand(DIGITS, 3)}-sample-secret-${rand(LOWER, 4)}"`,
      () => `password: "ChangeMe${rand(DIGITS, 3)}!"`,
      () => `api_token = "YourTokenGoesHere${rand(DIGITS, 2)}"`,
      () => `client_secret: LetMeIn${rand(DIGITS, 4)}`,
      () => `SECRET_TOKEN="Xk${rand(DIGITS, 2)}-Lorem-${mixed(6)}"`,
    ],
  ),
  cases(
    'database-connection-string',
    [
      () => { const p = humanPassword().replace(/[@#%]/g, 'x'); return { text: `REDIS_URL=rediss://:${p}@cache.internal:6380/0`, secret: p }; },
      () => { const p = randomWithWord(); return { text: `DATABASE_URL=postgres://app:${p}@db.internal:5432/app`, secret: p }; },
    ],
    [() => 'redis://:@localhost:6379', () => `DATABASE_URL=postgres://app:fake_password_${rand(DIGITS, 2)}@localhost/app`, () => 'mongodb://admin:<todo>@localhost/admin'],
  ),
  cases(
    'basic-auth-url',
    [
      () => { const p = cat(rand(UPPER, 2), rand(LOWER, 3), '#', rand(DIGITS, 2), '!', rand(LOWER, 2), '@', rand(DIGITS, 2)); return { text: `https://deploy:${p}@git.corp.io\n`, secret: p, file: '.git-credentials' }; },
    ],
    [() => 'https://:@git.corp.io'],
  ),
  cases(
    'netrc-password',
    [
      () => { const p = humanPassword(); return { text: `default login anonymous password ${p}\n`, secret: p, file: '.netrc' }; },
      () => { const p = humanPassword(); return { text: `machine ftp.corp.io\n  password ${p}\n`, secret: p, file: '_netrc' }; },
    ],
    [() => 'Set your password in the form below.', () => 'machine x.io login me password'],
  ),
];

/** Texts in which nothing at all may be found: ciphertexts, hashes, test vectors, templates, documentation examples. */
export const CLEAN_TEXTS: { name: string; text: () => string; file?: string }[] = [
  { name: 'SOPS file', text: () => `db:\n  password: ENC[AES256_GCM,data:${rand(B64, 16)},iv:${rand(B64, 43)}=,tag:${rand(B64, 22)}==,type:str]\nsops:\n  kms: []\n  lastmodified: "2024-01-01T00:00:00Z"\n  mac: ENC[AES256_GCM,data:${rand(B64, 88)},iv:${rand(B64, 43)}=,tag:${rand(B64, 22)}==,type:str]\n`, file: 'secrets.enc.yaml' },
  { name: 'ansible-vault file', text: () => `$ANSIBLE_VAULT;1.1;AES256\n${Array.from({ length: 6 }, () => rand(HEX, 80)).join('\n')}\n`, file: 'group_vars/prod/vault.yml' },
  { name: 'SealedSecret', text: () => `apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nspec:\n  encryptedData:\n    api_token: Ag${rand(B64, 400)}\n    DB_PASSWORD: Ag${rand(B64, 300)}==\n`, file: 'k8s/sealed.yaml' },
  { name: 'KMS ciphertext', text: () => `db_password_ciphertext = "AQICAH${rand(B64, 180)}"\nsecret_token = "CiQA${rand(B64, 120)}"\n` },
  { name: 'NuGet DPAPI-encrypted password', text: () => `<packageSourceCredentials>\n  <corp>\n    <add key="Username" value="ci" />\n    <add key="Password" value="${cat('AQAAANCMnd8BFdERjHoAwE/Cl+sBAAAA', rand(B64, 150))}" />\n  </corp>\n</packageSourceCredentials>`, file: 'NuGet.Config' },
  { name: 'Vault transit ciphertext', text: () => `password: "vault:v1:${rand(B64, 64)}"` },
  { name: 'bcrypt hash', text: () => `admin:\n  password: $2y$10$${rand(`${ALNUM}./`, 53)}\n` },
  { name: 'bcrypt $2a$ and $2b$ hashes', text: () => `users:\n  - name: ops\n    password: "$2a$12$${rand(`${ALNUM}./`, 53)}"\n  - name: ci\n    password_hash: '$2b$10$${rand(`${ALNUM}./`, 53)}'\n` },
  { name: 'argon2id hash', text: () => `ADMIN_PASSWORD='$argon2id$v=19$m=65536,t=3,p=4$${rand(B64, 22)}$${rand(B64, 43)}'\n`, file: '.env' },
  { name: 'htpasswd', text: () => `admin:$apr1$${rand(ALNUM, 8)}$${rand(`${ALNUM}./`, 22)}\n`, file: '.htpasswd' },
  { name: 'shadow', text: () => `root:$6$${rand(ALNUM, 16)}$${rand(`${ALNUM}./`, 86)}:19000:0:99999:7:::\n`, file: 'etc/shadow' },
  { name: 'postgres md5 and SCRAM', text: () => `ALTER ROLE app ENCRYPTED PASSWORD 'md5${rand(HEX, 32)}';\nCREATE ROLE api PASSWORD 'SCRAM-SHA-256$4096:${rand(B64, 24)}$${rand(B64, 44)}:${rand(B64, 44)}';\n` },
  { name: 'MySQL native hash', text: () => `CREATE USER 'app'@'%' IDENTIFIED WITH mysql_native_password AS '*${rand('0123456789ABCDEF', 40)}';` },
  { name: 'Django pbkdf2', text: () => `"password": "pbkdf2_sha256$720000$${rand(ALNUM, 22)}$${rand(B64, 43)}=",` },
  { name: 'RFC 4231 HMAC test vector', text: () => `key = "${'0b'.repeat(20)}"\ndata = "4869205468657265"\n`, file: 'test/hmac_test.py' },
  { name: 'templates', text: () => 'password: ${DB_PASSWORD}\ntoken: "{{ .Values.token }}"\napi_key: <your-api-key>\nsecret: %(secret)s\nDB_PASS=$DB_PASS\n' },
  { name: 'documentation examples', text: () => [cat('key = AK', 'IAIOSFODNN7', 'EXAMPLE'), cat('token: gh', 'p_16C7e42F292c6912E7710c838347Ae178B4a'), cat('bot = "xo', 'xb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"'), cat('TELEGRAM_TOKEN=110201543:', 'AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw')].join('\n') },
  { name: 'obvious placeholders', text: () => 'password = "your_password_here"\nAPI_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxx\nsecret: "changeme"\nDB_PASSWORD=<password>\nrequirepass foobared\n' },
];
