import { promises as fs } from 'node:fs';
import { requestToken } from '../../src/providers/aws.js';
import type { SecretStore } from '../../src/core/store.js';
import { run, tempHome } from '../helpers/cli.js';
import { storesUnderTest } from '../helpers/stores.js';
import { killedAfterGenerate } from '../helpers/kill.js';
import { awsStages } from '../helpers/kill-inspect.js';
import { settledFindings } from '../helpers/kill-state.js';

/**
 * The AWS case of issue 19, part 3, made deterministic: a rotation killed inside its stage phase after
 * `PutSecretValue` (the rotation's ClientRequestToken, its private staging label) and before `AWSPENDING` was
 * moved, so its journal's last phase is `generate`. The rotation is killed at `after:generate` by the engine's
 * own failpoint; the write it would have made next is then made with the SDK exactly as src/providers/aws.ts
 * makes it. `--resume` must finish the rotation (or name the exact command that will), and `--abort` must undo
 * it, leaving no label behind. And the next window, which the random-kill matrix also lands in: AWSPENDING moved,
 * the private label not yet removed.
 */

const shared = tempHome('vh-kills-aws-');
const aws = (await storesUnderTest(shared)).find((s) => s.provider === 'aws')!;
const awsEndpoint = process.env.VH_TEST_AWS_ENDPOINT ?? 'http://127.0.0.1:5055';
afterAll(async () => {
  await fs.rm(shared, { recursive: true, force: true });
});


interface Killed {
  home: string;
  env: NodeJS.ProcessEnv;
  name: string;
  ref: string;
  c0: string;
  v0: Buffer;
  staged: string;
  token: string;
  direct: SecretStore;
}

/** A secret whose rotation died right after PutSecretValue in stage: the state the issue describes. */
async function killedAfterPut(movedPending = false): Promise<Killed> {
  const { home, env, name, ref, c0, v0, journal, staged, direct } = await killedAfterGenerate(aws, 'aws-stage');

  // What AwsStore.putOnly does next: the new version under the rotation's token and a private label only.
  const token = requestToken(journal.id);
  const sdk = await import('@aws-sdk/client-secrets-manager');
  const client = new sdk.SecretsManagerClient({ endpoint: awsEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  try {
    await client.send(new sdk.PutSecretValueCommand({ SecretId: name, ClientRequestToken: token, VersionStages: [`vh-staging-${token.slice(0, 12)}`], SecretString: staged }));
    // Its next write: AWSPENDING moved onto the new version (the private label is removed only after that).
    if (movedPending) await client.send(new sdk.UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'AWSPENDING', MoveToVersionId: token }));
  } finally {
    client.destroy();
  }
  const stages = await awsStages(name);
  expect([...(stages[token] ?? [])].sort()).toEqual(movedPending ? ['AWSPENDING', `vh-staging-${token.slice(0, 12)}`] : [`vh-staging-${token.slice(0, 12)}`]);
  expect(stages[c0]).toContain('AWSCURRENT');
  // Still readable, still the old value.
  const mid = await run(['get', name], { env });
  expect(mid.code).toBe(0);
  expect(mid.stdout.equals(v0)).toBe(true);
  return { home, env, name, ref, c0, v0, staged, token, direct };
}

const settled = (k: Killed) => settledFindings({ provider: 'aws', store: k.direct, name: k.name, ref: k.ref, home: k.home, env: k.env, c0: k.c0, v0: k.v0 });

(aws.skip ? describe.skip : describe)('aws: a rotation killed inside stage, after PutSecretValue and before the provider\'s put returned', () => {
  test('rotate --resume finishes it (new value current, verified), or names the exact command that will', async () => {
    const k = await killedAfterPut();
    try {
      const resumed = await run(['rotate', k.name, '--resume', '--json'], { env: k.env });
      const said = `exit ${resumed.code}: ${`${resumed.out} ${resumed.stderr}`.replace(/\s+/g, ' ').trim()}`;
      let outcome = (() => {
        try {
          return JSON.parse(resumed.out) as { status: string; note: string | null };
        } catch {
          return { status: '?', note: null };
        }
      })();
      if (!(resumed.code === 0 && outcome.status === 'rotated')) {
        // Not finished: then the output must name the command that finishes it, and that command must do so.
        const named = /`(vh-secrets [^`]+)`/.exec(`${outcome.note ?? ''}\n${resumed.stderr}`)?.[1];
        expect({ resume: said, names_a_command: named ?? null }).toEqual({ resume: said, names_a_command: expect.stringMatching(/^vh-secrets rotate /) });
        const next = await run([...named!.split(/\s+/).slice(1), '--json'], { env: k.env });
        outcome = JSON.parse(next.out) as typeof outcome;
        expect({ command: named, code: next.code, status: outcome.status }).toEqual({ command: named, code: 0, status: 'rotated' });
      }
      const end = await settled(k);
      expect(end.findings).toEqual([]);
      expect(end.end).toBe('new');
      // And the secret is free for the next rotation.
      const again = await run(['rotate', k.name, '--yes', '--json'], { env: k.env });
      expect(again.code).toBe(0);
      expect(JSON.parse(again.out).status).toBe('rotated');
    } finally {
      await k.direct.close?.();
      await fs.rm(k.home, { recursive: true, force: true });
    }
  });

  test('rotate --abort undoes it: the old value current, the orphan version keeps no label', async () => {
    const k = await killedAfterPut();
    try {
      const aborted = await run(['rotate', k.name, '--abort', '--json'], { env: k.env });
      expect({ code: aborted.code, status: (JSON.parse(aborted.out) as { status: string }).status }).toEqual({ code: 0, status: 'aborted' });
      const end = await settled(k);
      expect(end.findings).toEqual([]);
      expect(end.end).toBe('old');
      const again = await run(['rotate', k.name, '--yes', '--json'], { env: k.env });
      expect(again.code).toBe(0);
      expect(JSON.parse(again.out).status).toBe('rotated');
    } finally {
      await k.direct.close?.();
      await fs.rm(k.home, { recursive: true, force: true });
    }
  });

  test('killed one step later (AWSPENDING moved, private label not yet removed): rotate --resume finishes and removes the label', async () => {
    const k = await killedAfterPut(true);
    try {
      const resumed = await run(['rotate', k.name, '--resume', '--json'], { env: k.env });
      expect({ code: resumed.code, status: (JSON.parse(resumed.out || '{}') as { status?: string }).status }).toEqual({ code: 0, status: 'rotated' });
      const end = await settled(k);
      expect(end.findings).toEqual([]);
      expect(end.end).toBe('new');
    } finally {
      await k.direct.close?.();
      await fs.rm(k.home, { recursive: true, force: true });
    }
  });
});
