import type { ScanReport } from '../index.js';
import type { Finding } from '../types.js';
import { maskSecret } from './mask.js';
import { skippedTotal } from './skips.js';

export interface JsonFinding {
  rule_id: string;
  description: string;
  file: string;
  line: number;
  column: number;
  end_line: number;
  end_column: number;
  secret: string;
  redacted: boolean;
  fingerprint: string;
  decoded: 'base64' | 'percent' | null;
  /** scan --managed: the managed secret this value is (`current`: its current version). */
  managed?: { ref: string; version: string; current: boolean };
  commit?: string;
  author?: string;
  email?: string;
  date?: string;
}

export function jsonFinding(f: Finding, redact: boolean): JsonFinding {
  const out: JsonFinding = {
    rule_id: f.ruleId,
    description: f.description,
    file: f.file,
    line: f.line,
    column: f.column,
    end_line: f.endLine,
    end_column: f.endColumn,
    secret: redact ? maskSecret(f.secret) : f.secret,
    redacted: redact,
    fingerprint: f.fingerprint,
    decoded: f.decoded ?? null,
  };
  if (f.managed) out.managed = { ref: f.managed.ref, version: f.managed.version, current: f.managed.current };
  if (f.commit !== undefined) Object.assign(out, { commit: f.commit, author: f.author, email: f.email, date: f.date });
  return out;
}

/** The JSON report; also the baseline format (`--baseline` reads `findings[].fingerprint`). */
export function renderJson(report: ScanReport, meta: { version: string; redact: boolean }): string {
  const doc = {
    version: 1,
    tool: { name: 'vh-secrets', version: meta.version },
    source: report.source,
    target: report.target,
    summary: {
      findings: report.findings.length,
      files_with_findings: new Set(report.findings.map((f) => f.file)).size,
      files_scanned: report.files,
      bytes_scanned: report.bytes,
      ...(report.commits !== undefined ? { commits_scanned: report.commits } : {}),
      skipped: skippedTotal(report),
      skipped_by_reason: Object.fromEntries(Object.entries(report.skips).map(([k, v]) => [k.replace('-', '_'), v])),
      skipped_directories: report.skippedDirs,
      errors: report.errors.length,
      baselined: report.baselined,
      duration_ms: report.durationMs,
    },
    findings: report.findings.map((f) => jsonFinding(f, meta.redact)),
    skipped: report.skipped,
    errors: report.errors,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
