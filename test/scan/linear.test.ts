import { Detector } from '../../src/scan/detector.js';
import { BUILTIN_RULES } from '../../src/scan/rules/index.js';
import type { Rule } from '../../src/scan/types.js';

/**
 * Every built-in rule runs in time linear in its input: each crafted input is scanned at some size and at twice
 * that size, and the time must roughly double (below 3×; a quadratic rule gives 4×). Times are compared only
 * with each other in the same test, never with a fixed budget; each is the CPU time of the scan (the minimum of
 * several runs, taken in turn), so a busy machine does not tip the balance. The whole engine runs (keyword prefilter, regex, validation,
 * decoding), with one rule at a time.
 */


/**
 * Units that, repeated, make a backtracking regex or per-match work go quadratic: generic ones, and for each
 * keyword the keyword then text that starts a match and never completes it (all keywords for the plainest
 * unit, the first one or two for the rest: the regex after any keyword is the same).
 */
function craftedUnits(rule: Rule): string[] {
  const units = ['a', 'A1', ' ', '=', 'a=', '://a:', '%41', '"a": "', ' Ab0+', 'eyJa.', '-----BEGIN '];
  const keywords = rule.keywords.length ? rule.keywords : ['x'];
  for (const k of keywords) units.push(k);
  for (const k of keywords.slice(0, 2)) units.push(`${k}_key = "`, `${k}=aB3`, `${k}.${k}:`);
  const k = keywords[0]!;
  units.push(`${k}a`, `${k}-0`, `${k} : '`, `${k} ${k}\n`, `${k} a login b password c `);
  return [...new Set(units)];
}

/** One long line of `unit` repeated (the classic backtracking case), or the unit on many short lines. */
function input(unit: string, chars: number, lines: boolean): string {
  const piece = lines ? `${unit}${'aB3dE6gH9'.repeat(4)}\n` : unit;
  const head = lines ? '' : (unit.length > 1 ? '' : 'password = ');
  return head + piece.repeat(Math.ceil(chars / piece.length)).slice(0, chars);
}

/** Keyword-led almost-matches: the keyword, then a long run of characters the secret may hold, never closed. */
function almost(rule: Rule, chars: number): string[] {
  const k = rule.keywords[0] ?? 'x';
  return [`${k}${'aB3dE6gH9j'.repeat(Math.ceil(chars / 10)).slice(0, chars)}`, `${k} = "${'Ab0+/'.repeat(Math.ceil(chars / 5)).slice(0, chars)}`];
}

/** The crafted inputs of one rule that the issue names, beside the generic ones. */
const SPECIAL: Record<string, string[]> = {
  // Joined at run time, so this file holds no .netrc entry of its own.
  'netrc-password': [['machine a', 'login b', 'password c '].join(' ')],
};

/**
 * CPU time of one scan, in milliseconds: unlike wall time it does not count the time the process waits for a
 * CPU, so other work on the machine does not land in one measurement and not the other.
 */
function timeOf(detector: Detector, text: string): number {
  const t0 = process.cpuUsage();
  detector.scan(text, 'crafted.txt');
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1000;
}

const MIN_MS = 6;
const START = 16 * 1024;
const MAX = 128 * 1024;
const REPS = 3;

/**
 * How the time grows from n to 2n characters for texts made by `make`: n grows from `start` until a scan takes
 * MIN_MS (enough to measure) or reaches MAX; then both sizes are timed in turn `reps` times, minimum each.
 */
function growth(detector: Detector, make: (chars: number) => string, start = START, reps = REPS): { ratio: number; n: number; ms: number } {
  let n = start;
  let probe = timeOf(detector, make(n));
  while (n < MAX && probe < MIN_MS) {
    n *= 2;
    probe = timeOf(detector, make(n));
  }
  // Still a few milliseconds at the largest size: linear enough, and any ratio would be noise (see below). One
  // probe decides it: a busy machine only ever makes a probe slower, never faster.
  if (probe < 5) return { ratio: 1, n, ms: probe };
  const small = make(n);
  const large = make(2 * n);
  let a = Infinity;
  let b = Infinity;
  for (let i = 0; i < reps; i++) {
    a = Math.min(a, timeOf(detector, small));
    b = Math.min(b, timeOf(detector, large));
  }
  // Below a few milliseconds the ratio is noise: such an input is linear enough at every size measured.
  return { ratio: a < 5 ? 1 : b / a, n, ms: a };
}

describe('every rule is linear: twice the input, about twice the time', () => {
  for (const rule of BUILTIN_RULES) {
    test(rule.id, () => {
      const detector = new Detector([rule]);
      const makers: [string, (n: number) => string][] = [];
      const units = craftedUnits(rule);
      for (const unit of [...units, ...(SPECIAL[rule.id] ?? [])]) makers.push([`line of ${JSON.stringify(unit)}`, (n) => input(unit, n, false)]);
      // Many short lines, each starting with a keyword: per-line work must stay linear too.
      for (const unit of units.filter((u) => rule.keywords.slice(0, 2).some((k) => u.startsWith(k) && u !== k))) makers.push([`lines of ${JSON.stringify(unit)}`, (n) => input(unit, n, true)]);
      makers.push(['keyword then a long almost-secret', (n) => almost(rule, n)[0]!], ['assignment then a long unclosed value', (n) => almost(rule, n)[1]!]);
      const slow: unknown[] = [];
      for (const [what, make] of makers) {
        const g = growth(detector, make);
        if (g.ratio >= 3) {
          // Measured again, at twice the size and more often, before it counts: a quadratic input stays near 4x,
          // a pause for garbage collection or a busy machine does not.
          const again = growth(detector, make, 2 * g.n, 5);
          if (again.ratio >= 3) slow.push({ what, chars: again.n, ms: Math.round(again.ms), ratio: Number(again.ratio.toFixed(2)) });
        }
      }
      expect({ rule: rule.id, slow }).toEqual({ rule: rule.id, slow: [] });
    }, 300_000);
  }

  test('all rules together (prefilter, every rule, decoding) stay linear on lines crafted from many keywords', () => {
    const detector = new Detector(BUILTIN_RULES);
    const slow: unknown[] = [];
    for (const k of ['password', 'token', '://', 'eyj', 'aws', 'machine', 'value']) {
      for (const unit of [k, `${k}_key = "`, `${k} : '`, `${k} ${k}\n`, `${k} a login b password c `]) {
        const g = growth(detector, (n) => input(unit, n, false));
        if (g.ratio < 3) continue;
        const again = growth(detector, (n) => input(unit, n, false), 2 * g.n, 5);
        if (again.ratio >= 3) slow.push({ unit, chars: again.n, ms: Math.round(again.ms), ratio: Number(again.ratio.toFixed(2)) });
      }
    }
    expect(slow).toEqual([]);
  }, 300_000);

  test('the check bites: a regex that backtracks quadratically is caught', () => {
    // From every start position `a*b` runs to the end of the run of a's before failing.
    const quadratic: Rule = { id: 'bad', description: 'bad', keywords: ['a'], regex: /a*b/dg, secretGroup: 0, help: '', tags: [] };
    expect(growth(new Detector([quadratic]), (n) => 'a'.repeat(n / 16)).ratio).toBeGreaterThanOrEqual(3);
  });
});
