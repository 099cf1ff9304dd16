import { promises as fs } from 'node:fs';
import { baseEnv, run, tempHome } from '../helpers/cli.js';

/**
 * PRIVILEGE_ESCALATION without false alarms on ordinary use: what the rotation engine does as part of a rotation
 * (deprecating the version it replaced, revoking a previous one when its grace ends or in an emergency) is not a
 * privileged act of the user, and an actor retiring a secret it created itself is not escalating. Revoking
 * somebody else's secret, for the first time, still is.
 */
test('create, get, rotate, emergency rotate and revoke of one\'s own secrets raise no HIGH anomaly; revoking another\'s does', async () => {
  const home = tempHome('vh-priv-');
  try {
    const env = baseEnv(home);
    const vh = (args: string[], actor = 'alice') => run(['--actor', actor, ...args], { env });
    for (const name of ['app/a', 'app/b']) expect((await vh(['create', name, '--type', 'webhook_secret', '--generate'])).code).toBe(0);
    expect((await vh(['get', 'app/a'])).code).toBe(0);
    expect((await vh(['rotate', 'app/a', '--yes'])).code).toBe(0);
    expect((await vh(['rotate', 'app/a', '--yes'], 'alice')).code).toBe(0);
    expect((await vh(['rotate', 'app/b', '--yes', '--emergency', '--reason', 'drill'])).code).toBe(0);
    expect((await vh(['revoke', 'app/b', '--yes'])).code).toBe(0);
    const quiet = await vh(['audit', '--hours', '1', '--json', '--fail-on-anomalies', 'high']);
    const kinds = (JSON.parse(quiet.out) as { anomalies: { kind: string; severity: string }[] }).anomalies;
    expect(kinds.filter((a) => a.kind === 'PRIVILEGE_ESCALATION')).toEqual([]);
    expect(quiet.code).toBe(0);

    // Mallory never created anything and has no baseline of revokes: revoking alice's secret is escalation.
    expect((await vh(['create', 'app/c', '--type', 'webhook_secret', '--generate'])).code).toBe(0);
    expect((await vh(['revoke', 'app/c', '--yes'], 'mallory')).code).toBe(0);
    const loud = await vh(['audit', '--hours', '1', '--json', '--fail-on-anomalies', 'high']);
    const found = (JSON.parse(loud.out) as { anomalies: { kind: string; severity: string; actor: string }[] }).anomalies.filter((a) => a.kind === 'PRIVILEGE_ESCALATION');
    expect(found).toEqual([expect.objectContaining({ actor: 'mallory', severity: 'high' })]);
    expect(loud.code).toBe(1);
  } finally {
    await fs.rm(home, { recursive: true, force: true });
  }
});
