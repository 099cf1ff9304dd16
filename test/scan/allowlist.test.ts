import { Detector } from '../../src/scan/detector.js';
import { buildRules, parseGitleaksConfig } from '../../src/scan/rule-config.js';
import { VhError } from '../../src/base/errors.js';

/** A detector from a .gitleaks.toml-shaped table: one custom rule (`acme_` + 16 characters) and the allowlists given. */
function detectorFor(extra: Record<string, unknown>, ruleExtra: Record<string, unknown> = {}): Detector {
  const config = parseGitleaksConfig({ rules: [{ id: 'acme-key', regex: '(?i)acme_[a-z0-9]{16}', keywords: ['acme_'], ...ruleExtra }], ...extra }, 'test.toml');
  const { rules, allowlists } = buildRules(config);
  return new Detector(rules, allowlists);
}

const TEST_KEY = 'acme_testkey123456789';
const REAL_KEY = 'acme_q8w7e6r5t4y3u2i1';
const found = (d: Detector, text: string, file: string, commit?: string) => d.scan(`key = ${text}\n`, file, 0, commit).length;

describe('allowlist condition (gitleaks [allowlist] condition = "AND")', () => {
  test('AND: a finding is allowed only where the path and the regex both hold', () => {
    const d = detectorFor({ allowlist: { condition: 'AND', paths: ['^fixtures/'], regexes: ['testkey'] } });
    expect([found(d, TEST_KEY, 'fixtures/a.txt'), found(d, REAL_KEY, 'fixtures/a.txt'), found(d, TEST_KEY, 'src/a.txt'), found(d, REAL_KEY, 'src/a.txt')]).toEqual([0, 1, 1, 1]);
    // The path alone does not exclude the file: its other findings must still be looked at.
    expect(d.pathAllowed('fixtures/a.txt')).toBe(false);
  });

  test('OR (the default, and "||"): either one is enough', () => {
    for (const condition of [undefined, 'OR', '||']) {
      const d = detectorFor({ allowlist: { ...(condition ? { condition } : {}), paths: ['^fixtures/'], regexes: ['testkey'] } });
      expect([found(d, TEST_KEY, 'fixtures/a.txt'), found(d, REAL_KEY, 'fixtures/a.txt'), found(d, TEST_KEY, 'src/a.txt'), found(d, REAL_KEY, 'src/a.txt')]).toEqual([0, 0, 0, 1]);
      expect(d.pathAllowed('fixtures/a.txt')).toBe(true);
    }
  });

  test('AND with paths only behaves as a path allowlist', () => {
    const d = detectorFor({ allowlist: { condition: 'and', paths: ['^fixtures/'] } });
    expect(d.pathAllowed('fixtures/a.txt')).toBe(true);
    expect(found(d, REAL_KEY, 'src/a.txt')).toBe(1);
  });

  test('AND on a rule allowlist: stopword and path; commit and path in history', () => {
    const d = detectorFor({}, { allowlists: [{ condition: 'AND', stopwords: ['testkey'], paths: ['_test\\.go$'] }] });
    expect([found(d, TEST_KEY, 'x_test.go'), found(d, TEST_KEY, 'x.go'), found(d, REAL_KEY, 'x_test.go')]).toEqual([0, 1, 1]);

    const h = detectorFor({ allowlists: [{ condition: 'AND', commits: ['abc123'], paths: ['^docs/'] }] });
    expect(h.commitAllowed('abc123ff')).toBe(false);
    expect([found(h, REAL_KEY, 'docs/a.md', 'abc123ff'), found(h, REAL_KEY, 'docs/a.md', 'def456'), found(h, REAL_KEY, 'src/a.md', 'abc123ff'), found(h, REAL_KEY, 'docs/a.md')]).toEqual([0, 1, 1, 1]);
  });

  test('several allowlists on one rule keep their own condition and target', () => {
    const d = detectorFor({}, { allowlists: [{ condition: 'AND', regexes: ['testkey'], paths: ['^a/'] }, { regexTarget: 'line', regexes: ['nosec'] }] });
    expect([found(d, TEST_KEY, 'a/x'), found(d, TEST_KEY, 'b/x'), found(d, `${REAL_KEY} # nosec`, 'b/x')]).toEqual([0, 1, 0]);
  });

  test('an unknown condition is a config error', () => {
    expect(() => detectorFor({ allowlist: { condition: 'XOR', paths: ['x'] } })).toThrow(VhError);
    expect(() => detectorFor({ allowlist: { condition: 'XOR', paths: ['x'] } })).toThrow(/condition must be "OR" or "AND"/);
  });
});
