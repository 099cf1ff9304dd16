import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import openAws from '../../src/providers/aws.js';
import { principalOfToken } from '../../src/providers/azure.js';
import openVault from '../../src/providers/vault.js';
import { ageKey, awsEndpoint, multiStoreEnv, vaultAddr, vaultToken } from '../backup/helpers.js';
import { auditEvents } from '../helpers/audit-log.js';
import { runInProcess, tempHome } from '../helpers/cli.js';
import { peerSkip } from '../providers/peers.js';

/**
 * The access policy's actor taken from the store (`[access] actor = "store"`): who the secret's store
 * authenticated, not what the caller claims with --actor; and the access rules on every gated verb
 * (deprecate, archive, purge, backup, restore, notify), plus notify's one-run-per-host lock.
 */


let home: string;
let env: NodeJS.ProcessEnv;
const events = () => auditEvents(home);
const vh = (args: string[], input?: string, extra: NodeJS.ProcessEnv = {}) => runInProcess(args, { env: { ...env, ...extra }, ...(input !== undefined ? { input } : {}) });
const policy = (toml: string) => fs.writeFile(join(home, 'policy.toml'), toml);

const vaultSkip = await peerSkip('vault', vaultAddr, 'scripts/peers.sh start openbao');
const awsSkip = await peerSkip('aws', awsEndpoint, 'scripts/peers.sh start moto');

beforeEach(async () => {
  home = tempHome('vh-policy-id-');
  env = await multiStoreEnv(home, { vault: !vaultSkip, aws: !awsSkip });
  await fs.appendFile(env.VH_SECRETS_CONFIG!, `\n[policy]\nfile = "${join(home, 'policy.toml')}"\n`);
});
afterEach(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

describe('store identities', () => {
  (vaultSkip ? test.skip : test)('vault: the token display name, e.g. token-<display_name> for a child token', async () => {
    const store = await openVault({ address: vaultAddr, token: vaultToken }, { alias: 'vault', home: '/nonexistent' });
    // The dev server's root token ("token" on OpenBao's dev server, which creates it through token/create).
    const rootId = await store.identity!();
    expect(rootId).toMatch(/^(root|token)$/);
    await store.close?.();
    const child = await childToken('ci-bot');
    const asChild = await openVault({ address: vaultAddr, token: child }, { alias: 'vault', home: '/nonexistent' });
    expect(await asChild.identity!()).toBe('token-ci-bot');
    await asChild.close?.();
  });

  (awsSkip ? test.skip : test)('aws: the caller ARN from STS GetCallerIdentity on the same endpoint', async () => {
    process.env.AWS_ACCESS_KEY_ID ??= 'test';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
    const store = await openAws({ endpoint: awsEndpoint, region: 'us-east-1' }, { alias: 'aws', home: '/nonexistent' });
    expect(await store.identity!()).toMatch(/^arn:aws:(iam|sts)::\d{12}:/);
    await store.close?.();
  });

  test('azure: the user, else the application, named by the Key Vault token', () => {
    const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
    expect(principalOfToken(jwt({ upn: 'alice@contoso.com', appid: 'a1', oid: 'o1' }))).toBe('alice@contoso.com');
    expect(principalOfToken(jwt({ appid: '11111111-2222-3333-4444-555555555555', oid: 'o1' }))).toBe('11111111-2222-3333-4444-555555555555');
    expect(principalOfToken(jwt({ oid: 'o1' }))).toBe('o1');
    expect(principalOfToken('not-a-jwt')).toBeUndefined();
    expect(principalOfToken('a.%%%.c')).toBeUndefined();
  });
});

describe('[access] actor = "store"', () => {
  (vaultSkip ? test.skip : test)('vault: grants match the token identity; --actor cannot claim another; audit records store_identity', async () => {
    await policy(`[access]\nname = "vault-access"\nactor = "store"\n[[access.grants]]\nname = "ci"\nactors = ["token-ci-bot"]\nactions = ["get", "create", "describe"]\nrefs = ["vault:**"]\n`);
    const child = await childToken('ci-bot');
    const name = `vh-test/identity-${Date.now().toString(36)}`;
    const created = await vh(['create', `vault:${name}`], 'identity-value-1', { VAULT_TOKEN: child });
    expect(created.code).toBe(0);
    expect((await vh(['get', `vault:${name}`, '--actor', 'alice'], undefined, { VAULT_TOKEN: child })).out).toBe('identity-value-1');
    // The root token is not in any grant, whatever the caller calls itself.
    const denied = await vh(['get', `vault:${name}`, '--actor', 'token-ci-bot']);
    expect(denied.code).toBe(77);
    expect(denied.stderr).toMatch(new RegExp(`policy rule "vault-access" \\(access\\) forbids get of vault:${name}: no grant lets actor "(root|token)" get vault:${name}`));
    expect(denied.stderr).not.toContain('identity-value-1');
    // And the child may not rotate.
    expect((await vh(['rotate', `vault:${name}`, '--yes'], undefined, { VAULT_TOKEN: child })).code).toBe(77);

    const log = await events();
    expect(log.find((e) => e.event === 'created')).toMatchObject({ success: true, details: { store_identity: 'token-ci-bot' } });
    expect(log.find((e) => e.event === 'accessed' && e.success)).toMatchObject({ actor: 'alice', details: { store_identity: 'token-ci-bot' } });
    expect(log.find((e) => e.event === 'accessed' && !e.success)).toMatchObject({ error_code: 'PERMISSION_DENIED', details: { store_identity: expect.stringMatching(/^(root|token)$/), policy_rule: 'vault-access' } });
    expect(JSON.stringify(log)).not.toContain('identity-value-1');
    expect(JSON.stringify(log)).not.toContain(child);

    const store = await openVault({ address: vaultAddr, token: vaultToken }, { alias: 'vault', home: '/nonexistent' });
    await store.destroy(name);
    await store.close?.();
  });

  test('file store: no identity to match, so the action is denied with a clear reason', async () => {
    await policy(`[access]\nactor = "store"\n[[access.grants]]\nactors = ["**"]\nactions = ["*"]\n`);
    const r = await vh(['create', 'app/a'], 'file-value-1');
    expect(r.code).toBe(77);
    expect(r.stderr).toContain('store "local" has no identity of its own to match grants against (set actor = "local" in [access])');
    await policy(`[access]\nactor = "someone"\n`);
    const bad = await vh(['list']);
    expect(bad.code).toBe(78);
    expect(bad.stderr).toMatch(/actor.*must be "local" or "store"/);
  });
});

describe('access rules on the lifecycle, backup, restore and notify verbs', () => {
  test('deprecate, archive and purge need their own grants; a denial is audited and changes nothing', async () => {
    await policy(`[access]\n[[access.grants]]\nactors = ["alice"]\nactions = ["*"]\n[[access.grants]]\nactors = ["bob"]\nactions = ["create", "revoke", "describe"]\n`);
    expect((await vh(['create', 'app/old', '--actor', 'bob'], 'lifecycle-value-1')).code).toBe(0);
    const dep = await vh(['deprecate', 'app/old', '--actor', 'bob']);
    expect(dep.code).toBe(77);
    expect(dep.stderr).toContain('forbids deprecate of local:app/old');
    expect((await vh(['revoke', 'app/old', '--yes', '--actor', 'bob'])).code).toBe(0);
    const arch = await vh(['archive', 'app/old', '--actor', 'bob']);
    expect(arch.code).toBe(77);
    const purge = await vh(['purge', 'app/old', '--yes', '--actor', 'bob']);
    expect(purge.code).toBe(77);
    expect(purge.stderr).toContain('forbids purge of local:app/old');
    const state = JSON.parse((await vh(['lifecycle', 'app/old', '--json', '--actor', 'alice'])).out) as { state: string };
    expect(state.state).toBe('REVOKED');
    expect((await vh(['archive', 'app/old', '--actor', 'alice'])).code).toBe(0);
    expect((await vh(['purge', 'app/old', '--yes', '--actor', 'alice'])).code).toBe(0);
    const log = await events();
    for (const event of ['deprecated', 'archived', 'purged']) {
      expect(log.find((e) => e.event === event && !e.success)).toMatchObject({ actor: 'bob', error_code: 'PERMISSION_DENIED', details: { policy_check: 'access' } });
    }
    expect(log.find((e) => e.event === 'purged' && e.success)).toMatchObject({ actor: 'alice' });
  });

  test('backup of a secret the actor may not back up writes no archive; restore is checked per secret', async () => {
    await policy(`[access]\n[[access.grants]]\nactors = ["alice"]\nactions = ["*"]\n[[access.grants]]\nactors = ["bob"]\nactions = ["backup", "restore"]\nrefs = ["local:team-a/**", "dst:team-a/**"]\n`);
    expect((await vh(['create', 'team-a/key', '--actor', 'alice'], 'backup-value-a')).code).toBe(0);
    expect((await vh(['create', 'team-b/key', '--actor', 'alice'], 'backup-value-b')).code).toBe(0);
    const { keyFile, recipient } = await ageKey(home, 'backup');
    const out = join(home, 'all.age');
    const denied = await vh(['backup', '--store', 'local', '--recipient', recipient, '--output', out, '--actor', 'bob']);
    expect(denied.code).toBe(77);
    expect(denied.stderr).toContain('forbids backup of local:team-b/key');
    await expect(fs.stat(out)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await events()).find((e) => e.event === 'backed_up')).toMatchObject({ success: false, error_code: 'PERMISSION_DENIED', details: { policy_check: 'access' } });

    expect((await vh(['backup', '--store', 'local', '--recipient', recipient, '--output', out, '--actor', 'alice'])).code).toBe(0);
    const restored = await vh(['restore', out, '--identity', keyFile, '--to-store', 'dst', '--json', '--actor', 'bob']);
    expect(restored.code).not.toBe(0);
    const report = JSON.parse(restored.out) as { results: { secret: string; action: string; error: { code: string } | null }[] };
    expect(report.results.find((r) => r.secret === 'dst:team-a/key')).toMatchObject({ action: 'created' });
    expect(report.results.find((r) => r.secret === 'dst:team-b/key')).toMatchObject({ action: 'failed', error: { code: 'PERMISSION_DENIED' } });
    expect((await vh(['get', 'dst:team-b/key', '--actor', 'alice'])).code).toBe(66);
  });

  test('notify: a denied secret gets no notice (exit 77), the others do; a second run on the host is refused (75)', async () => {
    const hookOut = join(home, 'hook.jsonl');
    const hook = join(home, 'hook.sh');
    await fs.writeFile(hook, `#!/bin/sh\ncat >> "${hookOut}"\necho >> "${hookOut}"\n`, { mode: 0o755 });
    await fs.appendFile(env.VH_SECRETS_CONFIG!, `\n[[notify.channels]]\nname = "pager"\nkind = "command"\ncommand = ["${hook}"]\n`);
    await policy(`[access]\n[[access.grants]]\nactors = ["alice"]\nactions = ["*"]\n[[access.grants]]\nactors = ["cron"]\nactions = ["notify"]\nrefs = ["local:team-a/**"]\n`);
    for (const name of ['team-a/soon', 'team-b/soon']) expect((await vh(['create', name, '--expires-in-days', '2', '--actor', 'alice'], `notify-value-${name}`)).code).toBe(0);

    // Another notify holds this host's lock (a live process: this test's own).
    const lockDir = join(home, 'vh', 'locks');
    await fs.mkdir(lockDir, { recursive: true, mode: 0o700 });
    await fs.writeFile(join(lockDir, 'notify.lock'), JSON.stringify({ pid: process.pid, host: hostname(), at: Date.now() }), { mode: 0o600 });
    const locked = await vh(['notify', '--store', 'local', '--actor', 'cron']);
    expect(locked.code).toBe(75);
    expect(locked.stderr).toContain('another `vh-secrets notify` is running on this host');
    expect(await fs.readFile(hookOut, 'utf8').catch(() => '')).toBe('');
    await fs.rm(join(lockDir, 'notify.lock'));

    const r = await vh(['notify', '--store', 'local', '--json', '--actor', 'cron']);
    expect(r.code).toBe(77);
    const report = JSON.parse(r.out) as { notices: { secret: string; status: string }[]; errors: { code: string; message: string }[] };
    expect(report.notices).toEqual([expect.objectContaining({ secret: 'local:team-a/soon', status: 'sent' })]);
    expect(report.errors).toEqual([expect.objectContaining({ code: 'PERMISSION_DENIED', message: expect.stringContaining('forbids notify of local:team-b/soon') })]);
    const sent = (await fs.readFile(hookOut, 'utf8')).split('\n').filter((l) => l.trim() !== '');
    expect(sent.map((l) => (JSON.parse(l) as { secret: string }).secret)).toEqual(['local:team-a/soon']);
    // The lock is released after the run.
    await expect(fs.stat(join(lockDir, 'notify.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

/** A child token of the root token with `display_name` (Vault shows it as token-<name>). */
async function childToken(displayName: string): Promise<string> {
  const res = await fetch(`${vaultAddr}/v1/auth/token/create`, {
    method: 'POST',
    headers: { 'X-Vault-Token': vaultToken, 'content-type': 'application/json' },
    body: JSON.stringify({ display_name: displayName, policies: ['root'], ttl: '10m' }),
  });
  if (!res.ok) throw new Error(`token create: HTTP ${res.status}`);
  return ((await res.json()) as { auth: { client_token: string } }).auth.client_token;
}
