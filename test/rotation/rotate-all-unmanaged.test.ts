import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { uniqueName } from '../providers/contract.js';
import { run, tempHome } from '../helpers/cli.js';
import { storesUnderTest } from '../helpers/stores.js';

/**
 * rotate-all never destroys what it cannot make again: a value issued elsewhere (generic, an api_key without a
 * target, …) is left alone — a 60 KB binary value survives byte for byte — while secrets with a rotation target,
 * types the tool defines, and secrets marked vh-rotation-mode=generate rotate. --include-unmanaged rotates the
 * rest; a single `rotate` of such a secret needs --force without a terminal.
 *
 * On the file store (private to the test) rotate-all runs with no filter at all; on the shared peers with a tag
 * of this run only, so that other tests' secrets are never touched.
 */
const HOOK = `#!/bin/sh
set -eu
dir="$(dirname "$0")"
case "$VH_TARGET_PHASE" in
  apply|rollback) cat >"$dir/app-key.tmp"; mv "$dir/app-key.tmp" "$dir/app-key" ;;
  verify) cat >"$dir/verify-input"; cmp -s "$dir/verify-input" "$dir/app-key" ;;
  *) cat >/dev/null ;;
esac
`;

const shared = tempHome('vh-unmanaged-shared-');
const stores = (await storesUnderTest(shared)).filter((s) => ['file', 'vault', 'aws'].includes(s.provider));
afterAll(async () => {
  await fs.rm(shared, { recursive: true, force: true });
});

interface Report {
  results: { secret: string; store: string; type: string; status: string; version: string | null; note: string | null }[];
  summary: Record<string, number>;
}

for (const s of stores) {
  (s.skip ? describe.skip : describe)(`rotate-all and values issued elsewhere, on ${s.provider}`, () => {
    let home: string;
    let env: NodeJS.ProcessEnv;
    const vh = (args: string[], input?: string | Buffer) => run(args, { env, timeoutMs: 90_000, ...(input !== undefined ? { input } : {}) });
    beforeEach(async () => {
      home = tempHome('vh-unmanaged-');
      env = await s.env(home);
      await fs.mkdir(join(home, 'hooks'));
      await fs.writeFile(join(home, 'hooks', 'hook.sh'), HOOK, { mode: 0o755 });
      const hook = join(home, 'hooks', 'hook.sh');
      await fs.appendFile(env.VH_SECRETS_CONFIG!, `\n[targets.app]\nkind = "command"\napply = ["${hook}", "apply"]\nverify = ["${hook}"]\nrollback = ["${hook}"]\ncleanup = ["${hook}"]\ntimeout_ms = 5000\n`);
    });
    afterEach(async () => {
      await fs.rm(home, { recursive: true, force: true });
    });

    test('a 60 KB binary generic value survives rotate-all --yes; a target, a generated type and the mark rotate; --include-unmanaged rotates the rest', async () => {
      const tag = `run${randomBytes(4).toString('hex')}`;
      const name = (p: string) => uniqueName(`${p}-${tag}`);
      const blob = name('blob');
      const keyed = name('keyed');
      const vendor = name('vendor');
      const db = name('db');
      const marked = name('marked');
      const binary = randomBytes(60 * 1024);
      await fs.writeFile(join(home, 'blob.bin'), binary, { mode: 0o600 });
      const tagArgs = ['--tag', `t=${tag}`];
      expect((await vh(['create', blob, '--value-file', join(home, 'blob.bin'), ...tagArgs])).code).toBe(0);
      expect((await vh(['create', keyed, '--type', 'api_key', '--generate', '--target', 'app', ...tagArgs])).code).toBe(0);
      expect((await vh(['create', vendor, '--type', 'api_key', '--generate', ...tagArgs])).code).toBe(0);
      expect((await vh(['create', db, '--type', 'database_password', '--generate', ...tagArgs])).code).toBe(0);
      expect((await vh(['create', marked, '--type', 'oauth_client_secret', '--generate', ...tagArgs])).code).toBe(0);
      // The mark is set with the store's own tools (Vault custom_metadata, AWS tags, …): here through the store API.
      const store = await s.open();
      try {
        await store.setMetadata(marked, { 'vh-rotation-mode': 'generate' });
      } finally {
        await store.close?.();
      }
      await fs.writeFile(join(home, 'hooks', 'app-key'), (await vh(['get', keyed])).stdout);
      const vendorValue = (await vh(['get', vendor])).out;
      const blobVersion = JSON.parse((await vh(['describe', blob, '--json'])).out).current_version as string;

      const filter = s.provider === 'file' ? [] : tagArgs;
      const all = await vh(['rotate-all', ...filter, '--yes', '--json']);
      expect(all.stderr).toBe('');
      expect(all.code).toBe(0);
      const report = JSON.parse(all.out) as Report;
      const status = (n: string) => report.results.find((r) => r.secret === `${s.alias}:${n}`);
      expect(status(blob)).toMatchObject({ status: 'unmanaged', version: blobVersion, type: 'generic' });
      expect(status(blob)!.note).toMatch(/generic value is issued elsewhere; --include-unmanaged/);
      expect(status(vendor)).toMatchObject({ status: 'unmanaged', type: 'api_key' });
      expect(status(vendor)!.note).toMatch(/api_key without a rotation target/);
      expect(status(keyed)!.status).toBe('rotated');
      expect(status(db)!.status).toBe('rotated');
      expect(status(marked)!.status).toBe('rotated');
      expect(report.summary).toMatchObject({ unmanaged: 2, rotated: 3, failed: 0, interrupted: 0 });

      // Untouched: the same bytes, the same single version.
      const got = await vh(['get', blob]);
      expect(got.code).toBe(0);
      expect(got.stdout.equals(binary)).toBe(true);
      expect(JSON.parse((await vh(['describe', blob, '--json'])).out).current_version).toBe(blobVersion);
      expect((await vh(['get', vendor])).out).toBe(vendorValue);
      // The target got the new key.
      expect(await fs.readFile(join(home, 'hooks', 'app-key'), 'utf8')).toBe((await vh(['get', keyed])).out);

      // One unmanaged secret on its own: no terminal, no --force → 64 with a hint; the value is unchanged.
      const refused = await vh(['rotate', vendor, '--yes']);
      expect(refused.code).toBe(64);
      expect(refused.stderr).toMatch(/issued elsewhere/);
      expect(refused.stderr).toMatch(/hint: pass --force/);
      expect((await vh(['get', vendor])).out).toBe(vendorValue);
      const plan = await vh(['rotate', vendor, '--dry-run']);
      expect(plan.code).toBe(0);
      expect(plan.out).toMatch(/needs --force/);
      expect((await vh(['rotate', vendor, '--yes', '--force'])).code).toBe(0);
      expect((await vh(['get', vendor])).out).not.toBe(vendorValue);

      // --include-unmanaged: the generic one is rotated too.
      const incl = await vh(['rotate-all', ...tagArgs, '--include-unmanaged', '--yes', '--json']);
      expect(incl.code).toBe(0);
      const inclReport = JSON.parse(incl.out) as Report;
      expect(inclReport.results.find((r) => r.secret === `${s.alias}:${blob}`)!.status).toBe('rotated');
      expect(inclReport.summary.unmanaged).toBe(0);
      const after = await vh(['get', blob]);
      expect(after.stdout.equals(binary)).toBe(false);
      expect(after.out).toMatch(/^[A-Za-z0-9]{32}$/);
    }, 180_000);
  });
}
