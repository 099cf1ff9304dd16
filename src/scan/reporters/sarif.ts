import { pathToFileURL } from 'node:url';
import type { Log, ReportingDescriptor, Result } from 'sarif';
import type { ScanReport } from '../index.js';
import { SKIP_CATEGORIES, type Finding, type Rule } from '../types.js';
import { SKIP_MEANING, skippedTotal } from './skips.js';

const INFORMATION_URI = 'https://github.com/voicehive/vh-secrets';

function location(f: Finding): NonNullable<Result['locations']>[number] {
  return {
    physicalLocation: {
      artifactLocation: f.file === 'stdin' ? { uri: 'stdin' } : f.file.startsWith('/') ? { uri: pathToFileURL(f.file).href } : { uri: encodeURI(f.file), uriBaseId: '%SRCROOT%' },
      region: { startLine: f.line, startColumn: f.column, endLine: f.endLine, endColumn: f.endColumn },
    },
  };
}

function ruleDescriptor(r: Rule): ReportingDescriptor {
  return {
    id: r.id,
    name: r.id.replace(/(^|-)([a-z0-9])/g, (_m, _d: string, ch: string) => ch.toUpperCase()),
    shortDescription: { text: r.description },
    fullDescription: { text: `${r.description} committed in source.` },
    help: { text: r.help, markdown: r.help },
    defaultConfiguration: { level: 'error' },
    properties: { tags: ['security', ...r.tags], precision: r.id.startsWith('generic') ? 'medium' : 'high', 'security-severity': r.id.startsWith('generic') ? '7.0' : '9.0' },
  };
}

/**
 * SARIF 2.1.0 for GitHub code scanning: every rule with its help, one result per finding with a region and a
 * `partialFingerprints` entry that hashes rule + file + secret (stable when lines move). Messages never carry
 * the secret, even with --no-redact. What was not scanned, and why, is in the run's `properties` and in the
 * invocation's notifications.
 */
export function renderSarif(report: ScanReport, meta: { version: string }): string {
  const rules = report.rules;
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const results = report.findings.map((f): Result => {
    const result: Result = {
      ruleId: f.ruleId,
      ruleIndex: index.get(f.ruleId) ?? 0,
      level: 'error',
      message: { text: `${f.description} found${f.decoded ? ` (${f.decoded}-encoded)` : ''}${f.commit ? ` in commit ${f.commit.slice(0, 12)}` : ''}. Rotate it and remove it from the code.` },
      locations: [location(f)],
      partialFingerprints: { 'vhSecretsFingerprint/v1': f.fingerprint },
    };
    if (f.commit) result.properties = { commit: f.commit, author: f.author, email: f.email, date: f.date };
    if (f.managed) {
      result.properties = { ...result.properties, managed: { ref: f.managed.ref, version: f.managed.version, current: f.managed.current } };
      result.message.text += f.managed.current ? ` It is the current value of ${f.managed.ref} (version ${f.managed.version}).` : ` It is an earlier value of ${f.managed.ref} (version ${f.managed.version}).`;
    }
    return result;
  });
  const doc: Log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'vh-secrets', semanticVersion: meta.version, version: meta.version, informationUri: INFORMATION_URI, rules: rules.map(ruleDescriptor) } },
        originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(`${process.cwd()}/`).href } },
        results,
        invocations: [
          {
            executionSuccessful: report.errors.length === 0,
            toolExecutionNotifications: [
              ...report.errors.map((e) => ({ level: 'error' as const, message: { text: `${e.file}: ${e.message}` } })),
              // One note per reason that left something out, so a reader of the log alone sees what was not scanned.
              ...SKIP_CATEGORIES.filter((c) => c !== 'unreadable' && report.skips[c] > 0).map((c) => ({
                level: 'note' as const,
                descriptor: { id: `skipped/${c}` },
                message: { text: `${report.skips[c]} not scanned: ${SKIP_MEANING[c]}` },
              })),
            ],
          },
        ],
        properties: {
          filesScanned: report.files,
          bytesScanned: report.bytes,
          skipped: skippedTotal(report),
          skippedByReason: Object.fromEntries(Object.entries(report.skips).map(([k, v]) => [k.replace(/-(\w)/g, (_m, ch: string) => ch.toUpperCase()), v])),
          skippedDirectories: report.skippedDirs,
        },
      },
    ],
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
