import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';

// The layer picture of docs/ARCHITECTURE.md (cli → jobs → core → lower floors → base, no circle), checked by
// dependency-cruiser over the TypeScript sources: the same check as `npm run check:layers`.
test('imports run only down the layer picture, with no circle', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'), 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd: ROOT, encoding: 'utf8' });
  expect(r.stdout + r.stderr).toContain('no dependency violations found');
  expect(r.status).toBe(0);
});
