import { readLines, type LineSink, type LineStats } from '../lines.js';
import { jsonProblem, type InputProblemKind, type ProblemSink, type SourceKind, type SourceStats } from './types.js';

/** What a source made of one parsed line. */
export type LineOutcome = 'record' | 'ignored' | { problem: InputProblemKind; detail: string };

/**
 * A JSON-lines source: every line parsed once; lines that are not JSON, and what the line reader itself refuses
 * (oversized, not UTF-8, torn), are reported with their line numbers and counted — never dropped silently.
 */
export async function readJsonLines(
  kind: SourceKind,
  path: string,
  problems: ProblemSink,
  onValue: (value: unknown, lineNo: number) => LineOutcome,
  /** How the lines are read: the whole file by default; the native log reads through AuditLog.scan. */
  read: (sink: LineSink) => Promise<LineStats> = (sink) => readLines(path, sink),
): Promise<SourceStats> {
  let records = 0;
  let ignored = 0;
  let bad = 0;
  const stats = await read({
    line(text, lineNo, unterminated) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        const p = jsonProblem(unterminated);
        problems.problem(p.kind, path, lineNo, p.detail);
        bad++;
        return;
      }
      const outcome = onValue(value, lineNo);
      if (outcome === 'record') records++;
      else if (outcome === 'ignored') ignored++;
      else {
        problems.problem(outcome.problem, path, lineNo, outcome.detail);
        bad++;
      }
    },
    problem(problemKind, lineNo, detail) {
      problems.problem(problemKind, path, lineNo, detail);
      bad++;
    },
  });
  return { kind, path, lines: stats.lines, records, ignored, problems: bad, bytes: stats.bytes };
}
