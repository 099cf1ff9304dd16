import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { run, tempHome } from '../helpers/cli.js';
import { storesUnderTest } from '../helpers/stores.js';
import { journals } from '../helpers/kill.js';
import { awsLabelFindings, awsStages } from '../helpers/kill-inspect.js';

/**
 * Issue 19, part 3: two `rotate-all` runs as if from two hosts (two VH_SECRETS_HOMEs) over the same 20 AWS
 * secrets at once. Each secret is rotated exactly once, both runs exit 0, and the losing run leaves nothing
 * behind: no third version labelled AWSPENDING, no private staging label, no marker, no journal. Unlike
 * test/rotation/overlap.test.ts this tolerates no stray AWSPENDING: real Secrets Manager would refuse the
 * next rotation over it. Run VH_KILLS_RACE_ROUNDS times (default 2) over the same secrets.
 */

const shared = tempHome('vh-kills-race-');
const aws = (await storesUnderTest(shared)).find((s) => s.provider === 'aws')!;
const SECRETS = 20;
const ROUNDS = Math.max(1, Number(process.env.VH_KILLS_RACE_ROUNDS ?? 2) || 2);
afterAll(async () => {
  await fs.rm(shared, { recursive: true, force: true });
});

interface Report {
  results: { secret: string; status: string; version: string | null; note: string | null }[];
  summary: { rotated: number; skipped: number; failed: number };
}

(aws.skip ? test.skip : test)(`aws: two rotate-all runs from two hosts over the same ${SECRETS} secrets, ${ROUNDS} rounds: each rotated once, nothing left by the loser`, async () => {
  const homeA = tempHome('vh-kills-race-a-');
  const homeB = tempHome('vh-kills-race-b-');
  const envA = await aws.env(homeA);
  const envB = await aws.env(homeB);
  const tag = `race${randomBytes(4).toString('hex')}`;
  const direct = await aws.open();
  try {
    const names = Array.from({ length: SECRETS }, (_, i) => `vh-test/kills-race-${tag}/s${String(i).padStart(2, '0')}`);
    for (let i = 0; i < names.length; i += 5) {
      const batch = await Promise.all(names.slice(i, i + 5).map((n) => run(['create', n, '--type', 'database_password', '--generate', '--tag', `batch=${tag}`], { env: envA })));
      expect(batch.map((r) => r.code)).toEqual(Array(batch.length).fill(0));
    }
    const findings: string[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const before = new Map<string, string>();
      for (const n of names) before.set(n, (await direct.describe(n)).currentVersion!);
      const args = ['rotate-all', '--tag', `batch=${tag}`, '--concurrency', '8', '--confirm', '--json'];
      // Both runs list before either rotates: they race however busy the machine is.
      const meet = { VH_SECRETS_BARRIER: `listed:${tempHome('vh-race-barrier-')}:2` };
      const [a, b] = await Promise.all([run(args, { env: { ...envA, ...meet }, timeoutMs: 180_000 }), run(args, { env: { ...envB, ...meet }, timeoutMs: 180_000 })]);
      expect({ round, codes: [a.code, b.code], stderr: [a.stderr, b.stderr] }).toEqual({ round, codes: [0, 0], stderr: ['', ''] });
      const ra = JSON.parse(a.out) as Report;
      const rb = JSON.parse(b.out) as Report;
      for (const n of names) {
        const secret = `${aws.alias}:${n}`;
        const statuses = [ra, rb].map((r) => r.results.find((x) => x.secret === secret)?.status).sort();
        if (statuses.join() !== 'rotated,skipped') findings.push(`round ${round} ${n}: statuses ${statuses.join(', ')} (want one rotated, one skipped)`);
        const winner = [ra, rb].flatMap((r) => r.results).find((x) => x.secret === secret && x.status === 'rotated');
        const stages = await awsStages(n);
        const current = Object.entries(stages).find(([, l]) => l.includes('AWSCURRENT'))?.[0];
        if (current !== winner?.version) findings.push(`round ${round} ${n}: current version ${current} is not the winner's ${winner?.version}`);
        if (current === before.get(n)) findings.push(`round ${round} ${n}: not rotated`);
        if (!stages[before.get(n)!]?.includes('AWSPREVIOUS')) findings.push(`round ${round} ${n}: the version current before the round is not AWSPREVIOUS (rotated more than once?)`);
        for (const f of awsLabelFindings(stages)) findings.push(`round ${round} ${n}: ${f}`);
        if (stages[current ?? '']?.includes('AWSPENDING')) findings.push(`round ${round} ${n}: the current version still carries AWSPENDING`);
        const d = await direct.describe(n);
        if (d.metadata['vh-rotation']) findings.push(`round ${round} ${n}: rotation marker left: ${d.metadata['vh-rotation']}`);
      }
      for (const [host, home] of [['A', homeA], ['B', homeB]] as const) {
        for (const j of await journals(home)) if (j.status === 'in_progress') findings.push(`round ${round} host ${host}: journal for ${j.secret} left in_progress at ${j.phase}`);
        const verify = await run(['audit', 'verify'], { env: host === 'A' ? envA : envB });
        if (verify.code !== 0) findings.push(`round ${round} host ${host}: audit verify exited ${verify.code}`);
      }
      // What one round left behind would only show again, as locks, in the next.
      if (findings.length) break;
    }
    process.stderr.write(`\naws rotate-all race (${SECRETS} secrets × ${ROUNDS} rounds, two hosts): ${findings.length ? `${findings.length} finding(s)\n  ${findings.join('\n  ')}` : 'each rotated once, nothing left behind'}\n`);
    expect(findings).toEqual([]);
  } finally {
    await direct.close?.();
    await fs.rm(homeA, { recursive: true, force: true });
    await fs.rm(homeB, { recursive: true, force: true });
  }
}, 600_000);
