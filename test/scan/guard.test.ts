import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScan } from '../../src/scan/index.js';
import { parseGitleaksConfig } from '../../src/scan/rule-config.js';
import { cat } from './fakes.js';

/**
 * Rules from a .gitleaks.toml are written for Go's linear-time engine; in JavaScript a nested quantifier can
 * backtrack for ever. The scan must stop such a rule on the file where it is stuck, say which rule and file,
 * finish the other files, and not exit clean.
 */
describe('user-supplied regexes: the watchdog', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vh-scan-guard-'));
    // Exponential for /(a+)+$/ in a backtracking engine: 40 a's and a b never match, after 2^40 tries.
    writeFileSync(join(dir, 'evil.txt'), `x = ${'a'.repeat(40)}b\n`);
    for (let i = 0; i < 5; i++) writeFileSync(join(dir, `ok${i}.txt`), `id ${cat('acme', '_q8w7e6r5t4y3u2i')}${i}\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a stuck rule is stopped, named in an error for its file, and the other files are still scanned', async () => {
    const ruleConfig = parseGitleaksConfig(
      {
        extend: { useDefault: false },
        rules: [
          { id: 'acme-key', regex: 'acme_[a-z0-9]{16}', keywords: ['acme_'] },
          { id: 'backtracker', regex: '(a+)+$', keywords: ['aaaa'] },
        ],
      },
      'test.toml',
    );
    const t0 = Date.now();
    const report = await runScan({ source: 'dir', path: dir, maxBytes: 1 << 20, jobs: 2, ruleConfig, stallMs: 500 });
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(report.errors).toEqual([{ file: join(dir, 'evil.txt').split('\\').join('/'), message: expect.stringMatching(/rule "backtracker" ran for over 0\.5 s on this file/) }]);
    expect(report.findings.map((f) => f.ruleId)).toEqual(Array(5).fill('acme-key'));
    expect(report.files).toBe(5);
  }, 30_000);

  test('without custom rules the detector needs no watchdog: built-in rules run where they are', async () => {
    const ruleConfig = parseGitleaksConfig({ extend: { useDefault: true } }, 'test.toml');
    const report = await runScan({ source: 'dir', path: dir, maxBytes: 1 << 20, jobs: 2, ruleConfig, stallMs: 500 });
    expect(report.errors).toEqual([]);
  });
});
