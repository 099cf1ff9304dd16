import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { run, tempHome } from '../helpers/cli.js';
import { storesUnderTest } from '../helpers/stores.js';

/**
 * `copy` between stores, the way restore writes: file → OpenBao → moto → file, metadata along, a newer value in
 * the target never overwritten without --force, the same value left alone, `--all --prefix`, `--dry-run`.
 */

const shared = tempHome('vh-copy-');
const all = await storesUnderTest(shared);
const [file, vault, aws] = (['file', 'vault', 'aws'] as const).map((p) => all.find((s) => s.provider === p)!);
const home = tempHome('vh-copy-home-');
let env: NodeJS.ProcessEnv;
const vh = (args: string[], input?: string) => run(args, { env, ...(input !== undefined ? { input } : {}) });
afterAll(async () => {
  await fs.rm(shared, { recursive: true, force: true });
  await fs.rm(home, { recursive: true, force: true });
});

/** One config naming the three stores, so one process can copy between them. */
beforeAll(async () => {
  const configs = await Promise.all([file, vault, aws].map(async (s) => fs.readFile((await s.env(join(home, s.provider))).VH_SECRETS_CONFIG!, 'utf8')));
  const tables = configs.map((c) => c.slice(c.indexOf('[stores.'))).join('\n');
  const fileEnv = await file.env(home);
  await fs.writeFile(fileEnv.VH_SECRETS_CONFIG!, `default_store = "shared"\n${tables}`);
  const vaultEnv = await vault.env(join(home, 'v'));
  const awsEnv = await aws.env(join(home, 'a'));
  env = { ...fileEnv, VAULT_TOKEN: vaultEnv.VAULT_TOKEN, AWS_ACCESS_KEY_ID: awsEnv.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: awsEnv.AWS_SECRET_ACCESS_KEY, };
});

(vault.skip || aws.skip ? describe.skip : describe)('copy between the file store, OpenBao and moto', () => {
  test('a secret travels file → vault → aws → file with its value and metadata; the same value again is skipped', async () => {
    const name = `vh-test/copy-${randomBytes(5).toString('hex')}`;
    const value = `travels-${randomBytes(8).toString('hex')}`;
    expect((await vh(['create', `shared:${name}`, '--type', 'api_key', '--owner', 'team-c', '--tag', 'app=pay'], value)).code).toBe(0);
    for (const [from, to] of [['shared', 'vault'], ['vault', 'aws']] as const) {
      const r = await vh(['copy', `${from}:${name}`, `${to}:`, '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out).results).toEqual([expect.objectContaining({ source: `${from}:${name}`, secret: `${to}:${name}`, action: 'created' })]);
      expect((await vh(['get', `${to}:${name}`])).out).toBe(value);
      expect(JSON.parse((await vh(['describe', `${to}:${name}`, '--json'])).out)).toMatchObject({ type: 'api_key', owner: 'team-c', tags: { app: 'pay' } });
    }
    // Back home under another name; then again: unchanged, skipped.
    const back = await vh(['copy', `aws:${name}`, `shared:${name}-back`, '--json']);
    expect(JSON.parse(back.out).results[0]).toMatchObject({ action: 'created' });
    expect((await vh(['get', `shared:${name}-back`])).out).toBe(value);
    const again = JSON.parse((await vh(['copy', `aws:${name}`, `shared:${name}-back`, '--json'])).out);
    expect(again.results[0]).toMatchObject({ action: 'skipped' });
  });

  test('a newer value in the target is a conflict (exit 1) unless --force --yes; an older one is updated', async () => {
    const name = `vh-test/copy-newer-${randomBytes(5).toString('hex')}`;
    expect((await vh(['create', `shared:${name}`], 'source-old'))).toMatchObject({ code: 0 });
    expect((await vh(['create', `vault:${name}`], 'target-newer'))).toMatchObject({ code: 0 });
    const conflict = await vh(['copy', `shared:${name}`, 'vault:', '--json']);
    expect(conflict.code).toBe(1);
    expect(JSON.parse(conflict.out).results[0]).toMatchObject({ action: 'conflict' });
    expect((await vh(['get', `vault:${name}`])).out).toBe('target-newer');
    expect((await vh(['copy', `shared:${name}`, 'vault:', '--force'])).code).toBe(64);
    expect((await vh(['copy', `shared:${name}`, 'vault:', '--force', '--yes'])).code).toBe(0);
    expect((await vh(['get', `vault:${name}`])).out).toBe('source-old');
    // Now the source is the newer one: updated without --force.
    expect((await vh(['set', `shared:${name}`], 'source-newest')).code).toBe(0);
    const updated = await vh(['copy', `shared:${name}`, 'vault:', '--json']);
    expect(JSON.parse(updated.out).results[0]).toMatchObject({ action: 'updated' });
    expect((await vh(['get', `vault:${name}`])).out).toBe('source-newest');
  });

  test('a copy that makes a new current value tells the index of managed values, so scan --managed names it current', async () => {
    const prefix = `vh-test/copy-idx-${randomBytes(5).toString('hex')}/`;
    const source = `moved-${randomBytes(12).toString('hex')}`;
    expect((await vh(['create', `shared:${prefix}k`], source)).code).toBe(0);
    expect((await vh(['create', `vault:${prefix}k`], `older-${randomBytes(12).toString('hex')}`)).code).toBe(0);
    expect((await vh(['index', '--store', 'vault', '--prefix', prefix])).code).toBe(0);
    expect((await vh(['copy', `shared:${prefix}k`, 'vault:', '--force', '--yes'])).code).toBe(0);
    const dir = join(home, 'leak');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(join(dir, 'notes.txt'), `pasted: ${source}\n`);
    const scan = await vh(['scan', '--path', dir, '--managed', '--format', 'json']);
    const findings = (JSON.parse(scan.out) as { findings: { managed?: { ref: string; current: boolean } }[] }).findings;
    expect(findings.map((f) => f.managed)).toContainEqual({ ref: `vault:${prefix}k`, version: expect.any(String), current: true });
  });

  test('--all --prefix copies every matching secret; --dry-run changes nothing; bad input is one line', async () => {
    const prefix = `vh-test/copy-all-${randomBytes(5).toString('hex')}/`;
    for (const n of ['a', 'b', 'c']) expect((await vh(['create', `shared:${prefix}${n}`], `v-${n}`)).code).toBe(0);
    const dry = JSON.parse((await vh(['copy', '--all', '--prefix', prefix, '--from-store', 'shared', '--to-store', 'aws', '--dry-run', '--json'])).out);
    expect(dry.summary).toMatchObject({ total: 3, created: 3 });
    expect((await vh(['get', `aws:${prefix}a`])).code).toBe(66);
    const done = JSON.parse((await vh(['copy', '--all', '--prefix', prefix, '--to-store', 'aws', '--json'])).out);
    expect(done.summary).toMatchObject({ total: 3, created: 3, failed: 0 });
    expect((await vh(['get', `aws:${prefix}c`])).out).toBe('v-c');

    const cases: [string[], number][] = [
      [['copy', `shared:${prefix}nope`, 'vault:'], 66],
      [['copy', `shared:${prefix}a`], 64],
      [['copy', `shared:${prefix}a`, `shared:${prefix}a`], 64],
      [['copy', '--all'], 64],
      [['copy', `shared:${prefix}a@1`, 'vault:'], 64],
      [['copy', `shared:${prefix}a`, 'nostore:'], 64],
    ];
    for (const [args, code] of cases) {
      const r = await vh(args);
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    }
  });
});
