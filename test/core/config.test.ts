import { mkdirSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/core/config.js';
import { options as fileOptions } from '../../src/providers/file.js';
import { options as vaultOptions } from '../../src/providers/vault.js';
import { options as awsOptions } from '../../src/providers/aws.js';
import { baseEnv, run, tempHome } from '../helpers/cli.js';

let dir: string;
beforeEach(() => {
  dir = tempHome('vh-config-');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const write = async (name: string, text: string) => {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  await fs.writeFile(path, text);
  return path;
};

describe('loadConfig', () => {
  test('no config at all: one implicit file store "local" as the default', async () => {
    const cfg = await loadConfig({ cwd: dir, environ: { HOME: dir, VH_SECRETS_HOME: join(dir, 'h') } });
    expect(cfg.files).toEqual([]);
    expect(cfg.defaultStore).toBe('local');
    expect(cfg.stores.get('local')).toMatchObject({ alias: 'local', provider: 'file', options: {} });
    expect(cfg.stores.get('local')!.settings(fileOptions)).toEqual({});
    expect(cfg.paths.home).toBe(join(dir, 'h'));
    expect(cfg.audit.log).toBe(join(dir, 'h', 'audit.log'));
  });

  test('lookup order: --config, VH_SECRETS_CONFIG, ./vh-secrets.toml, ~/.config', async () => {
    const user = await write('xdg/vh-secrets/config.toml', 'default_store = "u"\n[stores.u]\nprovider = "file"\n');
    const environ: NodeJS.ProcessEnv = { HOME: dir, XDG_CONFIG_HOME: join(dir, 'xdg') };
    expect((await loadConfig({ cwd: dir, environ })).files).toEqual([user]);
    const local = await write('vh-secrets.toml', 'default_store = "l"\n[stores.l]\nprovider = "file"\n');
    expect((await loadConfig({ cwd: dir, environ })).files).toEqual([local]);
    const fromEnv = await write('env.toml', '[stores.e]\nprovider = "file"\n');
    expect((await loadConfig({ cwd: dir, environ: { ...environ, VH_SECRETS_CONFIG: fromEnv } })).files).toEqual([fromEnv]);
    const explicit = await write('explicit.toml', '');
    expect((await loadConfig({ cwd: dir, environ: { ...environ, VH_SECRETS_CONFIG: fromEnv }, configFile: explicit })).files).toEqual([explicit]);
  });

  test('${VAR} interpolation with defaults and escapes', async () => {
    const path = await write('c.toml', '[stores.v]\nprovider = "vault"\naddress = "${ADDR}"\nmount = "${MOUNT:-secret}"\nnamespace = "$${NOT}"\n');
    const cfg = await loadConfig({ configFile: path, cwd: dir, environ: { HOME: dir, ADDR: 'http://127.0.0.1:8200' } });
    // Interpolated when the store is opened, against the provider's declared settings.
    expect(cfg.stores.get('v')!.settings(vaultOptions)).toEqual({ address: 'http://127.0.0.1:8200', mount: 'secret', namespace: '${NOT}' });
  });

  test('--env merges config/<env>.toml over the base', async () => {
    const base = await write('vh-secrets.toml', 'default_store = "main"\n[stores.main]\nprovider = "file"\npath = "base.vhs"\n');
    await write('config/production.toml', '[stores.main]\npath = "prod.vhs"\n[stores.extra]\nprovider = "aws"\nregion = "eu-west-1"\n');
    const cfg = await loadConfig({ configFile: base, env: 'production', cwd: dir, environ: { HOME: dir } });
    expect(cfg.files).toEqual([base, join(dir, 'config', 'production.toml')]);
    expect(cfg.stores.get('main')!.settings(fileOptions).path).toBe(join(dir, 'prod.vhs'));
    expect(cfg.stores.get('extra')!.settings(awsOptions)).toEqual({ region: 'eu-west-1' });
  });

  test.each([
    ['bad TOML', 'default_store = "x"\n[stores.a\nprovider="file"\n', /c\.toml:2:\d+: invalid TOML/],
    ['unknown top-level key', 'defualt_store = "a"\n', /c\.toml:1: defualt_store: unknown setting/],
    ['default store not defined', 'default_store = "nope"\n', /c\.toml:1: default_store: no store named "nope"/],
    // (in a store's table it is checked when that store is opened: see "store settings" below)
    ['unset variable', '[audit]\n\nlog = "${VH_TEST_UNSET_VAR}"\n', /c\.toml:3: audit\.log: environment variable VH_TEST_UNSET_VAR is not set/],
  ])('%s: CONFIG error naming file, line and field', async (_name, text, message) => {
    const path = await write('c.toml', text);
    await expect(loadConfig({ configFile: path, cwd: dir, environ: { HOME: dir } })).rejects.toMatchObject({ code: 'CONFIG', message: expect.stringMatching(message) });
  });

  test.each([
    ['unknown provider', '\n[stores.a]\nprovider = "hashicorp"\n', /c\.toml:3: stores\.a\.provider: unknown provider "hashicorp"/],
    ['missing provider', '[stores.a]\nregion = "x"\n', /c\.toml:1: stores\.a\.provider: missing required field/],
    ['misspelt provider', '[stores.a]\nprovder = "vault"\n', /c\.toml:2: stores\.a\.provder: unknown setting \(did you mean provider\?\)/],
  ])('%s: loads (commands that do not open the store are not stopped); opening it is the CONFIG error naming file, line and field', async (_name, text, message) => {
    const path = await write('c.toml', text);
    const cfg = await loadConfig({ configFile: path, cwd: dir, environ: { HOME: dir } });
    expect(cfg.stores.get('a')!.problem).toMatchObject({ code: 'CONFIG', message: expect.stringMatching(message) });
    expect(() => cfg.stores.get('a')!.settings(fileOptions)).toThrow(message);
  });

  test('the CLI exits 78 on a broken config, and on a missing --env file', async () => {
    const path = await write('c.toml', '[stores.a]\nprovider = "nope"\n');
    const env = baseEnv(dir);
    const r = await run(['--config', path, 'list'], { env });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(`${path}:2: stores.a.provider`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const missing = await run(['list', '--env', 'staging'], { env, cwd: dir });
    expect(missing.code).toBe(78);
    expect(missing.stderr).toContain(join(dir, 'config', 'staging.toml'));
  });

  test('a broken or unusable store table stops only what opens that store: scan, completion and the other stores work', async () => {
    const path = await write('c.toml', '[stores.bao]\nprovder = "vault"\n[stores.bao2]\nprovider = "vault"\ntoken = "${VH_TEST_UNSET_TOKEN}"\n');
    const env = baseEnv(dir, { VH_SECRETS_CONFIG: path });
    const scanDir = join(dir, 'to-scan');
    mkdirSync(scanDir, { recursive: true });
    expect((await run(['scan', scanDir], { env })).code).toBe(0);
    expect((await run(['completion', 'bash'], { env })).code).toBe(0);
    expect((await run(['create', 'local:x'], { env, input: 'v' })).code).toBe(0);
    expect((await run(['get', 'x'], { env })).out).toBe('v');
    const broken = await run(['get', 'bao:x'], { env });
    expect(broken.code).toBe(78);
    expect(broken.stderr).toContain(`${path}:2: stores.bao.provder: unknown setting (did you mean provider?)`);
    const unset = await run(['get', 'bao2:x'], { env });
    expect(unset.code).toBe(78);
    expect(unset.stderr).toMatch(/VH_TEST_UNSET_TOKEN is not set/);
  });

  test('a configured file store works through its alias', async () => {
    const path = await write('c.toml', 'default_store = "team"\n[stores.team]\nprovider = "file"\npath = "team.vhs"\nkey_file = "team.key"\n');
    const env = baseEnv(dir, { VH_SECRETS_CONFIG: path });
    expect((await run(['create', 'team:x'], { env, input: 'tv' })).code).toBe(0);
    expect((await run(['get', 'x'], { env })).out).toBe('tv');
    expect((await fs.stat(join(dir, 'team.vhs'))).mode & 0o777).toBe(0o600);
    expect((await run(['get', 'local:x'], { env })).code).toBe(66);
  });
});

describe('config files that are not a page of settings', () => {
  test('5,000 nested tables: a config error (78) in one line, not a stack overflow', async () => {
    const path = await write('deep.toml', `[${Array.from({ length: 5000 }, () => 'a').join('.')}]\nx = 1\n`);
    const r = await run(['--config', path, 'list'], { env: baseEnv(dir) });
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/^vh-secrets: error: .*deep\.toml: tables nested (more than 32 deep|too deeply)/);
    expect(r.stderr).not.toMatch(/call stack|internal error/);
  });

  test('a config file over 1 MiB (a 20 MB comment) is refused before it is parsed', async () => {
    const path = await write('big.toml', `# ${'x'.repeat(20 * 1024 * 1024)}\n[stores.local]\nprovider = "file"\n`);
    const r = await run(['--config', path, 'list'], { env: baseEnv(dir) });
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/big\.toml is \d+ bytes; a config file may hold at most 1048576 \(1 MiB\)/);
  });
});

describe('store settings are the provider\'s to declare, and are checked when the store is opened', () => {
  const vh = (args: string[], config: string) => run(['--config', config, ...args], { env: baseEnv(dir) });

  test.each([
    ['vault', 'adress = "http://127.0.0.1:8200"', 'adress', 'address'],
    ['aws', 'regoin = "eu-west-1"', 'regoin', 'region'],
    ['azure', 'vault_ulr = "https://x.vault.azure.net"', 'vault_ulr', 'vault_url'],
    ['gcp', 'projet = "p"', 'projet', 'project'],
    ['file', 'key_fiel = "k"', 'key_fiel', 'key_file'],
  ])('%s: a misspelt setting is refused with file, line and a suggestion (78), not silently ignored', async (provider, line, bad, good) => {
    const path = await write('vh.toml', `[stores.s]\nprovider = "${provider}"\n${line}\n`);
    const r = await vh(['get', 's:app/x'], path);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(`vh.toml:3: stores.s.${bad}: unknown setting (did you mean ${good}?)`);
    expect(r.stderr).toMatch(new RegExp(`hint: a ${provider} store takes: .*${good}`));
  });

  test('an ill-typed setting is refused when the store is opened', async () => {
    const path = await write('vh.toml', '[stores.s]\nprovider = "vault"\ntimeout_ms = "soon"\n');
    const r = await vh(['get', 's:app/x'], path);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('vh.toml:3: stores.s.timeout_ms: must be a whole number');
  });

  test('a typo of provider names the key', async () => {
    const path = await write('vh.toml', '[stores.s]\nprovder = "vault"\n');
    const r = await vh(['list'], path);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('vh.toml:2: stores.s.provder: unknown setting (did you mean provider?)');
  });

  test('an unset ${VAR} in one store blocks only that store: scan and the other stores work', async () => {
    const path = await write('vh.toml', '[stores.bao]\nprovider = "vault"\ntoken = "${VH_TEST_SURELY_UNSET_TOKEN}"\n');
    await write('tree/readme.txt', 'nothing to see\n');
    const scan = await vh(['scan', join(dir, 'tree')], path);
    expect(scan.code).toBe(0);
    expect((await vh(['list', '--store', 'local'], path)).code).toBe(0);
    const r = await vh(['get', 'bao:app/x'], path);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('vh.toml:3: stores.bao.token: environment variable VH_TEST_SURELY_UNSET_TOKEN is not set');
  });
});

describe('the seed\'s environment file: config/<env>.toml with one [secrets] table, the default store', () => {
  const awsSeed = '[secrets]\nprovider = "aws"\nregion = "eu-west-1"\ncredentials_profile = "${PROFILE:-prod}"\nendpoint_url = "http://127.0.0.1:5055"\n';
  const vaultSeed = '[secrets]\nprovider = "vault"\naddress = "https://vault.example:8200"\ntoken = "${VAULT_TOKEN:-}"\nnamespace = "team"\n';

  test('aws: --env production reads config/production.toml as the store "secrets", seed names mapped to the provider\'s', async () => {
    await write('config/production.toml', awsSeed);
    const cfg = await loadConfig({ env: 'production', cwd: dir, environ: { HOME: dir } });
    expect(cfg.files).toEqual([join(dir, 'config', 'production.toml')]);
    expect(cfg.defaultStore).toBe('secrets');
    expect(cfg.stores.get('secrets')!.provider).toBe('aws');
    expect(cfg.stores.get('secrets')!.settings(awsOptions)).toEqual({ region: 'eu-west-1', profile: 'prod', endpoint: 'http://127.0.0.1:5055' });
    // The implicit local store is still there.
    expect(cfg.stores.get('local')!.provider).toBe('file');
  });

  test('VH_SECRETS_ENV names the environment when --env does not; --env wins', async () => {
    await write('config/production.toml', awsSeed);
    await write('config/staging.toml', vaultSeed);
    const byVar = await loadConfig({ cwd: dir, environ: { HOME: dir, VH_SECRETS_ENV: 'production', PROFILE: 'p2' } });
    expect(byVar.stores.get('secrets')!.settings(awsOptions)).toMatchObject({ profile: 'p2' });
    const byFlag = await loadConfig({ env: 'staging', cwd: dir, environ: { HOME: dir, VH_SECRETS_ENV: 'production' } });
    expect(byFlag.stores.get('secrets')!.provider).toBe('vault');
    await expect(loadConfig({ cwd: dir, environ: { HOME: dir, VH_SECRETS_ENV: '../x' } })).rejects.toMatchObject({ code: 'CONFIG', message: expect.stringContaining('VH_SECRETS_ENV: invalid environment name') });
  });

  test('vault: address, token, namespace; an empty ${VAULT_TOKEN:-} is an empty setting (no token: the login methods decide)', async () => {
    await write('config/production.toml', vaultSeed);
    const cfg = await loadConfig({ env: 'production', cwd: dir, environ: { HOME: dir } });
    expect(cfg.defaultStore).toBe('secrets');
    expect(cfg.stores.get('secrets')!.settings(vaultOptions)).toEqual({ address: 'https://vault.example:8200', token: '', namespace: 'team' });
    const k8s = await write('k.toml', '[secrets]\nprovider = "vault"\nkubernetes_role = "app"\nkubernetes_token_file = "sa/token"\n');
    const cfg2 = await loadConfig({ configFile: k8s, cwd: dir, environ: { HOME: dir } });
    expect(cfg2.stores.get('secrets')!.settings(vaultOptions)).toEqual({ kubernetes_role: 'app', kubernetes_token_file: join(dir, 'sa', 'token') });
  });

  test('the provider\'s own names are accepted in [secrets] too; [secrets] beside [stores.*] is one more store', async () => {
    const path = await write('c.toml', '[stores.other]\nprovider = "file"\n[secrets]\nprovider = "aws"\nprofile = "p"\nendpoint = "http://e"\n');
    const cfg = await loadConfig({ configFile: path, cwd: dir, environ: { HOME: dir } });
    expect(cfg.defaultStore).toBe('secrets');
    expect([...cfg.stores.keys()].sort()).toEqual(['local', 'other', 'secrets']);
    expect(cfg.stores.get('secrets')!.settings(awsOptions)).toEqual({ profile: 'p', endpoint: 'http://e' });
  });

  test('a base file\'s default_store gives way to the environment file\'s [secrets], and the other way round', async () => {
    const base = await write('vh-secrets.toml', 'default_store = "main"\n[stores.main]\nprovider = "file"\n');
    await write('config/production.toml', awsSeed);
    expect((await loadConfig({ configFile: base, env: 'production', cwd: dir, environ: { HOME: dir } })).defaultStore).toBe('secrets');
    const base2 = await write('b2/vh-secrets.toml', awsSeed);
    await write('b2/config/dev.toml', 'default_store = "local"\n');
    expect((await loadConfig({ configFile: base2, env: 'dev', cwd: dir, environ: { HOME: dir } })).defaultStore).toBe('local');
  });

  test.each([
    ['default_store naming another store beside [secrets]', 'default_store = "other"\n[stores.other]\nprovider = "file"\n[secrets]\nprovider = "aws"\n', /c\.toml:1: default_store: names "other", but this file's \[secrets\] table is the default store/],
    ['[stores.secrets] and [secrets] in one file', '[stores.secrets]\nprovider = "file"\n[secrets]\nprovider = "aws"\n', /c\.toml:1: stores\.secrets: defined twice/],
    ['a seed name and the provider\'s own for one setting', '[secrets]\nprovider = "aws"\nprofile = "a"\ncredentials_profile = "b"\n', /c\.toml:4: secrets\.credentials_profile: sets the same setting as profile/],
    ['[secrets] not a table', 'secrets = "aws"\n', /c\.toml:1: secrets: must be a table/],
  ])('%s: CONFIG error naming file, line and field', async (_name, text, message) => {
    const path = await write('c.toml', text);
    await expect(loadConfig({ configFile: path, cwd: dir, environ: { HOME: dir } })).rejects.toMatchObject({ code: 'CONFIG', message: expect.stringMatching(message) });
  });

  test.each([
    ['aws', 'credentials_profil = "p"', 'credentials_profil', 'credentials_profile'],
    ['aws', 'endpoint_uri = "http://e"', 'endpoint_uri', 'endpoint_url'],
    ['vault', 'adress = "http://e"', 'adress', 'address'],
    ['vault', 'credentials_profile = "p"', 'credentials_profile', undefined],
  ])('%s: an unknown key in [secrets] is a CONFIG error (78) naming the file, line and key', async (provider, line, bad, good) => {
    const path = await write('config/production.toml', `[secrets]\nprovider = "${provider}"\n${line}\n`);
    const cfg = await loadConfig({ env: 'production', cwd: dir, environ: { HOME: dir } });
    const spec = provider === 'aws' ? awsOptions : vaultOptions;
    expect(() => cfg.stores.get('secrets')!.settings(spec)).toThrow(`${path}:3: secrets.${bad}: unknown setting${good ? ` (did you mean ${good}?)` : ''}`);
    const r = await run(['--env', 'production', 'get', 'app/x'], { env: baseEnv(dir), cwd: dir });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(`${path}:3: secrets.${bad}: unknown setting`);
  });

  test('[secrets] without a provider stops what opens it (78), naming the table', async () => {
    await write('config/production.toml', '[secrets]\nregion = "eu-west-1"\n');
    const r = await run(['--env', 'production', 'get', 'app/x'], { env: baseEnv(dir), cwd: dir });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('production.toml:1: secrets.provider: missing required field');
  });
});
