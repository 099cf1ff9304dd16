import { base64Runs, KeywordIndex } from '../../src/scan/prefilter.js';
import { BUILTIN_RULES } from '../../src/scan/rules/index.js';
import { B64, DIGITS, rand, reseed } from './fakes.js';

/** Deterministic (seeded) numbers in [0, 1), so a failure is reproducible. */
const random = (): number => Number(rand(DIGITS, 6)) / 1e6;

/** The regex base64Runs stands for: its spans must be exactly these. */
const BASE64_RUN = /["'`=:\s]([A-Za-z0-9+/]{24,8192}={0,2})(?=["'`\s,;)]|$)/g;

function regexRuns(text: string): number[] {
  const out: number[] = [];
  BASE64_RUN.lastIndex = 0;
  for (let m = BASE64_RUN.exec(text); m; m = BASE64_RUN.exec(text)) out.push(m.index + 1, m.index + 1 + m[1]!.length);
  return out;
}

/** Random text made of base64 characters, the delimiters around values and a few others, in runs of any length. */
function randomText(): string {
  const pieces: string[] = [];
  const others = [' ', '\t', '\n', '"', "'", '`', '=', '==', '===', ':', ',', ';', ')', '(', '-', '_', '.', '\u00a0', 'é', '\u2028', '€'];
  const n = Math.floor(random() * 30);
  for (let i = 0; i < n; i++) {
    const r = random();
    if (r < 0.4) pieces.push(rand(B64, [1, 10, 23, 24, 25, 40, 8191, 8192, 8193][Math.floor(random() * 9)]!));
    else pieces.push(others[Math.floor(random() * others.length)]!);
  }
  return pieces.join('');
}

describe('base64Runs', () => {
  test('finds exactly the spans of the base64-run regex (random texts)', () => {
    reseed(8);
    for (let i = 0; i < 3000; i++) {
      const text = randomText();
      expect({ text: text.slice(0, 60), runs: base64Runs(text) }).toEqual({ text: text.slice(0, 60), runs: regexRuns(text) });
    }
  });

  test('edges: start and end of text, padding, length limits', () => {
    const v = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldY';
    for (const text of [v, ` ${v}`, `=${v}=`, `:${v}==;`, `"${v}===`, `'${v}=a`, ` ${v.slice(0, 23)} `, ` ${v.slice(0, 24)}`, ` ${'A'.repeat(8192)} `, ` ${'A'.repeat(8193)} `, `\u3000${v}\ufeff`, `x${v} `]) {
      expect({ text: text.slice(0, 40), runs: base64Runs(text) }).toEqual({ text: text.slice(0, 40), runs: regexRuns(text) });
    }
  });
});

describe('KeywordIndex', () => {
  const keywords = [...new Set(BUILTIN_RULES.flatMap((r) => r.keywords)), 'ä', 'x', 'straße'];
  const index = new KeywordIndex(keywords);
  const naive = (text: string) => index.keywords.map((k) => (text.toLowerCase().includes(k) ? 1 : 0));

  test('reports every keyword the text contains, in any ASCII case, and no other', () => {
    reseed(9);
    const alphabet = 'aAkKsSpPwWdD_-.:/~"xXoOhHvVbB ';
    for (let i = 0; i < 2000; i++) {
      const parts = [rand(alphabet, Math.floor(random() * 40))];
      if (random() < 0.5) {
        const k = keywords[Math.floor(random() * keywords.length)]!;
        parts.push([...k].map((c) => (random() < 0.5 ? c.toUpperCase() : c)).join(''), rand(alphabet, 5));
      }
      const text = parts.join('');
      expect({ text, found: [...index.find(text)] }).toEqual({ text, found: naive(text) });
    }
  });

  test('a keyword at the very end, overlapping keywords, non-ASCII text', () => {
    for (const text of ['xx SK', 'sk_live_', 'accesskey', 'STRASSE straße Ä', 'é€token', 'q~', 'q', '']) {
      expect({ text, found: [...index.find(text)] }).toEqual({ text, found: naive(text) });
    }
  });
});
