import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { ROOT, baseEnv, tempHome } from '../helpers/cli.js';

/** The README's first command (`npm run demo`) keeps working: every step succeeds on the embedded store. */
test('scripts/demo.sh runs end to end on the embedded file store', async () => {
  const home = tempHome('vh-demo-');
  try {
    const env = { ...baseEnv(home), VH_SECRETS_HOME: join(home, 'vh') };
    const r = spawnSync('bash', [join(ROOT, 'scripts', 'demo.sh')], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).not.toMatch(/error|internal/i);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Rotations: 2 started, 2 completed, 0 failed/);
    expect(r.stdout).toMatch(/^intact: .* hash chain unbroken/m);
    expect(r.stdout).toMatch(/no secrets found/);
    // Routine work by the user who created the secrets is not privilege escalation (#27 part 6).
    expect(r.stdout).not.toMatch(/PRIVILEGE_ESCALATION|HIGH/);
    // A first run has no usual to differ from: whatever the hour, the report shows no anomaly at all.
    expect(r.stdout).toMatch(/^Anomalies: none$/m);
    expect(r.stderr).toMatch(/audit log.*: \d+ events, hash-chained/);
    // Given a home, the demo keeps it.
    expect((await fs.stat(join(home, 'vh', 'audit.log'))).isFile()).toBe(true);
  } finally {
    await fs.rm(home, { recursive: true, force: true });
  }
});

test('without VH_SECRETS_HOME, the demo removes its throw-away home (store and key inside) when it ends', async () => {
  const tmp = tempHome('vh-demo-tmp-');
  try {
    const env: NodeJS.ProcessEnv = { ...baseEnv(tmp), TMPDIR: tmp };
    delete env.VH_SECRETS_HOME;
    const r = spawnSync('bash', [join(ROOT, 'scripts', 'demo.sh')], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(0);
    expect((await fs.readdir(tmp)).filter((f) => f.startsWith('vh-secrets-demo.'))).toEqual([]);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
});
