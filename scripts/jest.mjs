// Runs jest (ESM, on the compiled tests in dist/test) and closes with the plain line CI reads:
// "N passed, N failed, N skipped". Arguments are passed through to jest.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'vh-jest-'));
const out = join(dir, 'results.json');
const r = spawnSync(
  process.execPath,
  ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', join(root, 'node_modules/jest/bin/jest.js'), '--json', `--outputFile=${out}`, ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' },
);
let code = r.status ?? 1;
try {
  const res = JSON.parse(readFileSync(out, 'utf8'));
  const skipped = res.numPendingTests + res.numTodoTests;
  console.log(`\n${res.numPassedTests} passed, ${res.numFailedTests} failed, ${skipped} skipped`);
  if (res.numTotalTests === 0) code = code || 1;
} catch {
  console.log('\n0 passed, 1 failed (jest produced no results)');
  code = code || 1;
}
rmSync(dir, { recursive: true, force: true });
process.exit(code);
