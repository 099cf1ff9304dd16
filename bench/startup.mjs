// Start-up time: median wall time of bare node vs vh-secrets --version / --help / completion-class commands.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'vh-secrets');
const runs = Number(process.env.BENCH_RUNS ?? 40);
const home = mkdtempSync(join(tmpdir(), 'vh-bench-'));
const env = { ...process.env, VH_SECRETS_HOME: home, NO_COLOR: '1' };

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function time(args, input) {
  const samples = [];
  for (let i = 0; i < runs + 3; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { env, input, stdio: ['pipe', 'ignore', 'ignore'] });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
    if (i >= 3) samples.push(ms);
  }
  return median(samples);
}

spawnSync(process.execPath, [bin, 'create', 'bench/one', '--generate'], { env });
const cases = [
  ['node -e ""', ['-e', ''], 1],
  ['vh-secrets --version', [bin, '--version'], 1.3],
  ['vh-secrets --help', [bin, '--help'], 1.5],
  ['vh-secrets get --help', [bin, 'get', '--help'], 1.5],
  ['vh-secrets completion bash', [bin, 'completion', 'bash'], 1.5],
  ['vh-secrets __complete refs (TAB)', [bin, '__complete', 'refs', 'bench/'], 1.5],
  ['vh-secrets get (file store)', [bin, 'get', 'bench/one'], undefined],
  ['vh-secrets list (file store)', [bin, 'list'], undefined],
];
const base = time(cases[0][1]);
console.log(`start-up, median of ${runs} runs (node ${process.version}, ${process.platform}/${process.arch})`);
console.log(`${'command'.padEnd(32)}${'median ms'.padStart(11)}${'× node'.padStart(9)}${'goal'.padStart(8)}`);
for (const [label, args, goal] of cases) {
  const ms = label === cases[0][0] ? base : time(args);
  const ratio = ms / base;
  const verdict = goal === undefined ? '' : ratio <= goal ? `≤${goal} ok` : `≤${goal} MISS`;
  console.log(`${label.padEnd(32)}${ms.toFixed(1).padStart(11)}${ratio.toFixed(2).padStart(9)}${verdict.padStart(12)}`);
}
rmSync(home, { recursive: true, force: true });
