import { promises as fs } from 'node:fs';
import { buildAuditReport, verifyAuditLog } from '../audit/review.js';
import { VhError, isVhError } from '../base/errors.js';
import { checkHealth, type HealthReport } from '../health/evaluate.js';
import type { Runtime } from '../core/runtime.js';
import type { PostureFinding, StorePosture } from '../core/store.js';
import type { SecretType } from '../core/types.js';

/**
 * The compliance report: framework controls mapped to evidence vh-secrets can measure itself — rotation ages
 * against the policy (store metadata, through the health evaluation), the audit log's hash chain, anomalies in
 * the audit log, the access policy, encryption at rest of each store, and TLS to each store and audit sink. What a
 * store's encryption and TLS look like is its provider's to say (its `posture`: StorePosture in core/store.ts).
 * PCI DSS 8.3.9 adds one more from the same metadata: password-like credentials no older than 90 days.
 * A control passes only when every piece of its evidence was measured and passed; anything the tool cannot
 * observe is `not-measurable`, with the reason. Nothing passes on faith.
 */

export const COMPLIANCE_SCHEMA = 'vh-secrets.compliance/1';
export const FRAMEWORKS = ['nist-800-53', 'soc2', 'iso27001', 'hipaa', 'pci-dss', 'gdpr'] as const;
export type Framework = (typeof FRAMEWORKS)[number];
export type ControlStatus = 'pass' | 'fail' | 'not-measurable';

export type EvidenceId =
  | 'access_policy'
  | 'audit_integrity'
  | 'anomalies'
  | 'rotation'
  | 'credential_age_90d'
  | 'policy_compliance'
  | 'encryption_at_rest'
  | 'transport_security'
  | 'key_management';

export interface EvidenceItem {
  /** The measured fact (or, for not-measurable, why it cannot be). */
  status: ControlStatus;
  summary: string;
  /** Where the evidence comes from: a file, a command, store metadata. */
  source: string;
  /** Per-object findings (a store, a secret); never a value. */
  findings: { subject: string; status: ControlStatus; detail: string }[];
}

export interface Evidence extends EvidenceItem {
  id: EvidenceId;
  title: string;
}

export interface ControlResult {
  framework: Framework;
  control: string;
  title: string;
  status: ControlStatus;
  /** Why the status is what it is, in one line. */
  reason: string;
  evidence: { id: EvidenceId; status: ControlStatus; summary: string; source: string }[];
}

export interface ComplianceReport {
  schema: typeof COMPLIANCE_SCHEMA;
  generated_at: string;
  frameworks: Framework[];
  /** fail when any control fails; pass when every control passes; else not-measurable. */
  status: ControlStatus;
  summary: { controls: number; pass: number; fail: number; not_measurable: number };
  period: { since: string; until: string };
  policy: string | null;
  controls: ControlResult[];
  evidence: Evidence[];
}

interface ControlDef {
  framework: Framework;
  control: string;
  title: string;
  evidence: EvidenceId[];
  /**
   * Evidence that bears on the control where there is any (keys a service manages, rotated through their
   * targets): counted like the rest when present, left out when there is nothing of the kind to measure — its
   * absence is no gap in the control.
   */
  supporting?: EvidenceId[];
}

/** The mapping; each control lists the evidence that bears on it (all of it must pass). */
export const CONTROLS: ControlDef[] = [
  { framework: 'nist-800-53', control: 'AC-3', title: 'Access Enforcement', evidence: ['access_policy'] },
  { framework: 'nist-800-53', control: 'AU-2', title: 'Event Logging', evidence: ['audit_integrity'] },
  { framework: 'nist-800-53', control: 'SC-12', title: 'Cryptographic Key Establishment and Management', evidence: ['rotation', 'policy_compliance'], supporting: ['key_management'] },
  { framework: 'nist-800-53', control: 'SC-28', title: 'Protection of Information at Rest', evidence: ['encryption_at_rest'] },
  { framework: 'soc2', control: 'CC6.1', title: 'Logical access security: software, infrastructure and architectures', evidence: ['access_policy', 'encryption_at_rest'] },
  { framework: 'soc2', control: 'CC6.2', title: 'Credentials: issued, owned, rotated and removed under policy', evidence: ['rotation', 'policy_compliance'] },
  { framework: 'soc2', control: 'CC7.1', title: 'Detection of configuration changes and non-compliance', evidence: ['policy_compliance', 'audit_integrity'] },
  { framework: 'soc2', control: 'CC7.2', title: 'Monitoring for anomalies and security events', evidence: ['audit_integrity', 'anomalies'] },
  { framework: 'iso27001', control: 'A.9.2', title: 'User access management', evidence: ['access_policy'] },
  { framework: 'iso27001', control: 'A.10.1', title: 'Cryptographic controls', evidence: ['rotation', 'encryption_at_rest', 'transport_security'], supporting: ['key_management'] },
  { framework: 'iso27001', control: 'A.12.4', title: 'Logging and monitoring', evidence: ['audit_integrity', 'anomalies'] },
  { framework: 'iso27001', control: 'A.18.1.3', title: 'Protection of records', evidence: ['audit_integrity'] },
  { framework: 'hipaa', control: '164.312(a)', title: 'Access control', evidence: ['access_policy'] },
  { framework: 'hipaa', control: '164.312(b)', title: 'Audit controls', evidence: ['audit_integrity'] },
  { framework: 'hipaa', control: '164.312(c)', title: 'Integrity', evidence: ['audit_integrity', 'encryption_at_rest'] },
  { framework: 'hipaa', control: '164.312(e)', title: 'Transmission security', evidence: ['transport_security'] },
  // PCI DSS v4.0. Left out: 10.5 (log history retained 12 months: where the log and its copies are kept, and for
  // how long, is not observable from here) and the rest of 8.3 (how people authenticate to systems).
  { framework: 'pci-dss', control: '3.6', title: 'Cryptographic keys used to protect stored account data are secured', evidence: ['encryption_at_rest', 'access_policy'] },
  { framework: 'pci-dss', control: '3.7', title: 'Key-management processes and procedures covering all aspects of the key lifecycle are defined and implemented', evidence: ['rotation', 'policy_compliance'], supporting: ['key_management'] },
  { framework: 'pci-dss', control: '7.2', title: 'Access to system components and data is appropriately defined and assigned', evidence: ['access_policy'] },
  { framework: 'pci-dss', control: '8.3.2', title: 'Strong cryptography renders all authentication factors unreadable during transmission and storage', evidence: ['encryption_at_rest', 'transport_security'] },
  { framework: 'pci-dss', control: '8.3.9', title: 'Passwords/passphrases used as the only authentication factor are changed at least once every 90 days', evidence: ['credential_age_90d'] },
  { framework: 'pci-dss', control: '8.6.3', title: 'Passwords/passphrases for any application and system accounts are protected against misuse', evidence: ['rotation', 'policy_compliance'] },
  { framework: 'pci-dss', control: '10.2', title: 'Audit logs are implemented to support the detection of anomalies and suspicious activity', evidence: ['audit_integrity'] },
  { framework: 'pci-dss', control: '10.3', title: 'Audit logs are protected from destruction and unauthorized modifications', evidence: ['audit_integrity'] },
  { framework: 'pci-dss', control: '10.4', title: 'Audit logs are reviewed to identify anomalies or suspicious activity', evidence: ['audit_integrity', 'anomalies'] },
  // GDPR: what bears on the credentials and keys that guard personal data. Left out: Art. 30 (records of
  // processing), Art. 32(1)(c) (restoring availability), 32(1)(d) (a process of regular testing) and the data
  // subject's rights, of which vh-secrets observes nothing.
  { framework: 'gdpr', control: 'Art. 5(1)(f)', title: 'Integrity and confidentiality', evidence: ['access_policy', 'encryption_at_rest', 'transport_security'] },
  { framework: 'gdpr', control: 'Art. 25', title: 'Data protection by design and by default', evidence: ['access_policy', 'encryption_at_rest'] },
  { framework: 'gdpr', control: 'Art. 32(1)(a)', title: 'Security of processing: pseudonymisation and encryption of personal data', evidence: ['encryption_at_rest', 'transport_security'] },
  { framework: 'gdpr', control: 'Art. 32(1)(b)', title: 'Security of processing: ongoing confidentiality, integrity, availability and resilience of processing systems', evidence: ['access_policy', 'rotation', 'audit_integrity'] },
  { framework: 'gdpr', control: 'Art. 33', title: 'Notification of a personal data breach to the supervisory authority', evidence: ['audit_integrity', 'anomalies'] },
];

const TITLES: Record<EvidenceId, string> = {
  access_policy: 'access policy present and enforced',
  audit_integrity: 'audit log present and its hash chain intact',
  anomalies: 'audit log anomalies',
  rotation: 'rotation ages within their intervals',
  credential_age_90d: 'passwords and account credentials changed within the last 90 days, on intervals of 90 days or less',
  policy_compliance: 'secrets comply with the policy',
  encryption_at_rest: 'stores encrypt secrets at rest',
  transport_security: 'TLS to stores and audit sinks',
  key_management: 'keys made and kept by their service (IAM access keys, transit keys) rotated through their targets',
};

export function parseFramework(text: string | undefined): Framework[] {
  if (text === undefined || text === 'all') return [...FRAMEWORKS];
  if (!(FRAMEWORKS as readonly string[]).includes(text)) {
    throw new VhError('USAGE', `unknown framework "${text}"`, { hint: `use one of: ${FRAMEWORKS.join(', ')}, all` });
  }
  return [text as Framework];
}

/** Worst of several statuses: fail over not-measurable over pass. An empty list is not-measurable. */
export function combine(statuses: ControlStatus[]): ControlStatus {
  if (statuses.includes('fail')) return 'fail';
  if (statuses.length === 0 || statuses.includes('not-measurable')) return 'not-measurable';
  return 'pass';
}

// ---------------------------------------------------------------------------------------------- evidence

function accessPolicyEvidence(rt: Runtime, denials: number): EvidenceItem {
  const policy = rt.policy;
  const source = policy ? `policy file ${policy.file}; audit log ${rt.config.audit.log}` : 'config ([policy] file, --policy, VH_SECRETS_POLICY)';
  if (!policy) return { status: 'fail', summary: 'no policy file is configured: vh-secrets enforces no access rules (store-side IAM is not measured here)', source, findings: [] };
  if (!policy.access) return { status: 'fail', summary: `policy ${policy.file} has no [access] section: every actor may do every action`, source, findings: [] };
  const grants = policy.access.grants.map((g) => ({ subject: `grant ${g.name}`, status: 'pass' as const, detail: `actors ${g.actors.join(', ')} may ${g.actions.join(', ')} on ${g.refs.join(', ')}` }));
  if (policy.access.mode !== 'enforce') {
    return { status: 'fail', summary: `access rules "${policy.access.name}" are in warn mode: denials are only reported, not enforced`, source, findings: grants };
  }
  return {
    status: 'pass',
    summary: `access rules "${policy.access.name}" enforced (${policy.access.grants.length} grant${policy.access.grants.length === 1 ? '' : 's'}, default deny); ${denials} denied action${denials === 1 ? '' : 's'} recorded in the period`,
    source,
    findings: grants,
  };
}

async function auditIntegrityEvidence(rt: Runtime): Promise<EvidenceItem> {
  const log = rt.config.audit.log;
  const source = `vh-secrets audit verify (${log}${rt.config.audit.anchor ? `, anchor ${rt.config.audit.anchor}` : ''})`;
  const findings: EvidenceItem['findings'] = [];
  try {
    const st = await fs.stat(log);
    const mode = st.mode & 0o777;
    findings.push({ subject: 'log file mode', status: (mode & 0o077) === 0 ? 'pass' : 'fail', detail: `mode ${mode.toString(8).padStart(4, '0')}` });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'fail', summary: `no audit log at ${log}: nothing has been recorded`, source, findings };
    return { status: 'not-measurable', summary: `audit log ${log} cannot be examined: ${(err as Error).message}`, source, findings };
  }
  try {
    const chain = await verifyAuditLog(rt.config.audit);
    findings.push({ subject: 'hash chain', status: chain.ok ? 'pass' : 'fail', detail: chain.ok ? `${chain.events} events chained${chain.torn.length ? `; ${chain.torn.length} torn line(s)` : ''}` : `broken at line ${chain.broken!.line} (${chain.broken!.kind}): ${chain.broken!.reason}` });
    findings.push({ subject: 'signed head', status: chain.anchored ? 'pass' : 'not-measurable', detail: chain.anchored ? 'checked: a cut-off end would be detected' : 'no [audit] anchor configured: removal of the last events cannot be detected' });
    if (!chain.ok) return { status: 'fail', summary: `audit log chain broken at line ${chain.broken!.line} (${chain.broken!.kind})`, source, findings };
    const modeOk = findings[0]!.status === 'pass';
    if (!modeOk) return { status: 'fail', summary: `audit log is readable by others (${findings[0]!.detail})`, source, findings };
    return { status: 'pass', summary: `${chain.events} events, hash chain intact${chain.anchored ? ', signed head matches' : ' (no signed head configured)'}`, source, findings };
  } catch (err) {
    return { status: 'not-measurable', summary: `audit log cannot be verified: ${isVhError(err) ? err.message : String(err)}`, source, findings };
  }
}

function rotationEvidence(health: HealthReport): EvidenceItem {
  const findings: EvidenceItem['findings'] = [];
  let overdue = 0;
  let unknown = 0;
  for (const s of health.secrets) {
    const rot = s.checks.find((c) => c.check === 'rotation');
    if (!rot || rot.status === 'UNKNOWN') {
      unknown++;
      findings.push({ subject: s.secret, status: 'not-measurable', detail: rot?.message ?? s.checks[0]?.message ?? 'not evaluated' });
    } else if (/overdue/.test(rot.message)) {
      overdue++;
      findings.push({ subject: s.secret, status: 'fail', detail: `${rot.message} (age ${s.age_days ?? '?'} days)` });
    }
  }
  const down = health.stores.filter((s) => s.error !== null);
  for (const s of down) findings.push({ subject: `store ${s.store}`, status: 'not-measurable', detail: `${s.error!.message} (${s.error!.code})` });
  const source = 'store metadata (vh-rotated-at, vh-rotation-days) via the health evaluation';
  const measured = health.secrets.length - unknown;
  if (overdue > 0) return { status: 'fail', summary: `${overdue} of ${health.secrets.length} secrets overdue for rotation`, source, findings };
  if (down.length > 0 || unknown > 0) return { status: 'not-measurable', summary: `${measured} secrets within their interval; ${unknown} without a rotation time; ${down.length} store(s) could not be read`, source, findings };
  if (health.secrets.length === 0) return { status: 'not-measurable', summary: 'no managed secrets found in the configured stores', source, findings };
  return { status: 'pass', summary: `all ${health.secrets.length} secrets rotated within their interval`, source, findings };
}

/** PCI DSS 8.3.9: a password or passphrase is changed at least once every this many days. */
export const PCI_PASSWORD_DAYS = 90;
/**
 * Secret types that authenticate an account by knowledge alone — passwords and what stands for one (API keys,
 * OAuth client secrets) — and `generic`, which may be any of them. Keys (signing, encryption, TLS) are left to
 * key management (their cryptoperiods: `rotation`, `key_management`).
 */
const PASSWORD_TYPES: readonly SecretType[] = ['database_password', 'api_key', 'oauth_client_secret', 'generic'];

/**
 * Each password-like credential's age since its value last changed, and the interval it rotates on, against a
 * ceiling of 90 days (PCI DSS 8.3.9), from the same store metadata as `rotation`: a value older than that fails,
 * and so does one set to rotate less often (it will be, before it is rotated next).
 */
function credentialAgeEvidence(health: HealthReport, now: Date): EvidenceItem {
  const limit = PCI_PASSWORD_DAYS;
  const source = `store metadata (vh-rotated-at, vh-rotation-days) via the health evaluation; types ${PASSWORD_TYPES.join(', ')}`;
  const findings: EvidenceItem['findings'] = [];
  const creds = health.secrets.filter((s) => PASSWORD_TYPES.includes(s.type));
  let old = 0;
  let unknown = 0;
  for (const s of creds) {
    const rotated = s.rotated_at ? Date.parse(s.rotated_at) : NaN;
    if (!Number.isFinite(rotated)) {
      unknown++;
      findings.push({ subject: s.secret, status: 'not-measurable', detail: s.checks.find((c) => c.check === 'rotation' || c.check === 'evaluate')?.message ?? 'no creation or rotation time recorded' });
      continue;
    }
    const age = Math.round(((now.getTime() - rotated) / 86_400_000) * 10) / 10;
    const due = s.rotation_due_at ? Date.parse(s.rotation_due_at) : NaN;
    const interval = Number.isFinite(due) ? Math.round((due - rotated) / 86_400_000) : null;
    if (age > limit) {
      old++;
      findings.push({ subject: s.secret, status: 'fail', detail: `${s.type} last changed ${age} days ago (${s.rotated_at}): more than ${limit}` });
    } else if (interval !== null && interval > limit) {
      old++;
      findings.push({ subject: s.secret, status: 'fail', detail: `${s.type} rotates every ${interval} days: more than ${limit} (last changed ${age} days ago)` });
    }
  }
  const down = health.stores.filter((s) => s.error !== null);
  for (const s of down) findings.push({ subject: `store ${s.store}`, status: 'not-measurable', detail: `${s.error!.message} (${s.error!.code})` });
  if (old > 0) return { status: 'fail', summary: `${old} of ${creds.length} passwords and account credentials older than ${limit} days or rotating less often`, source, findings };
  if (down.length > 0 || unknown > 0) return { status: 'not-measurable', summary: `${creds.length - unknown} credentials within ${limit} days; ${unknown} without a rotation time; ${down.length} store(s) could not be read`, source, findings };
  if (creds.length === 0) return { status: 'not-measurable', summary: `no passwords or account credentials (${PASSWORD_TYPES.join(', ')}) found in the configured stores`, source, findings };
  return { status: 'pass', summary: `all ${creds.length} passwords and account credentials changed within ${limit} days, on intervals of ${limit} days or less`, source, findings };
}

/** Rotation target kinds whose service makes and keeps the key itself, with what such a key is called. */
const KEY_TARGET_KINDS: Readonly<Record<string, string>> = { 'aws-iam-user': 'IAM access key', 'vault-transit': 'transit key' };

/**
 * The keys vh-secrets rotates through a target whose service makes them (an IAM user's access keys, a transit
 * key's versions): key establishment and management done by the service, on vh-secrets' schedule. Each is
 * judged by its rotation age like any secret. Undefined when there is no such key: nothing to count.
 */
function keyManagementEvidence(health: HealthReport): EvidenceItem | undefined {
  const keys = health.secrets.filter((s) => s.target && Object.prototype.hasOwnProperty.call(KEY_TARGET_KINDS, s.target.kind));
  if (keys.length === 0) return undefined;
  const findings: EvidenceItem['findings'] = keys.map((s) => {
    const rot = s.checks.find((c) => c.check === 'rotation');
    const what = `${KEY_TARGET_KINDS[s.target!.kind]} rotated through target ${s.target!.name} (${s.target!.kind})`;
    if (!rot || rot.status === 'UNKNOWN') return { subject: s.secret, status: 'not-measurable', detail: `${what}: ${rot?.message ?? 'no rotation time'}` };
    return { subject: s.secret, status: /overdue/.test(rot.message) ? 'fail' : 'pass', detail: `${what}: ${rot.message}` };
  });
  const kinds = Object.entries(KEY_TARGET_KINDS)
    .map(([kind, label]) => [label, keys.filter((s) => s.target!.kind === kind).length] as const)
    .filter(([, n]) => n > 0)
    .map(([label, n]) => `${n} ${label}${n === 1 ? '' : 's'}`)
    .join(', ');
  const status = combine(findings.map((f) => f.status));
  const failing = findings.filter((f) => f.status === 'fail').length;
  return {
    status,
    summary: failing > 0 ? `${failing} of ${keys.length} service-managed keys (${kinds}) overdue for rotation` : status === 'pass' ? `${keys.length} service-managed keys (${kinds}) rotated by their service through vh-secrets, all within their interval` : `${kinds}: some without a rotation time`,
    source: 'rotation targets ([targets] kind, vh-target metadata) and rotation ages via the health evaluation',
    findings,
  };
}

function policyComplianceEvidence(rt: Runtime, health: HealthReport): EvidenceItem {
  if (!rt.policy) return { status: 'fail', summary: 'no policy file is configured: nothing to measure the secrets against', source: 'config', findings: [] };
  const source = `policy file ${rt.policy.file} against store metadata (health)`;
  const findings: EvidenceItem['findings'] = [];
  for (const s of health.secrets) {
    for (const v of s.policy_violations) findings.push({ subject: s.secret, status: 'fail', detail: `rule "${v.rule}" (${v.check}, ${v.mode}): ${v.message}` });
  }
  const down = health.stores.filter((s) => s.error !== null);
  for (const s of down) findings.push({ subject: `store ${s.store}`, status: 'not-measurable', detail: `${s.error!.message} (${s.error!.code})` });
  if (rt.policy.rules.length === 0) return { status: 'fail', summary: `policy ${rt.policy.file} has no [[rules]] for secrets`, source, findings };
  const broken = new Set(findings.filter((f) => f.status === 'fail').map((f) => f.subject)).size;
  if (broken > 0) return { status: 'fail', summary: `${broken} of ${health.secrets.length} secrets break ${findings.filter((f) => f.status === 'fail').length} policy rule(s)`, source, findings };
  if (down.length > 0) return { status: 'not-measurable', summary: `${down.length} store(s) could not be read`, source, findings };
  if (health.secrets.length === 0) return { status: 'not-measurable', summary: 'no managed secrets found in the configured stores', source, findings };
  return { status: 'pass', summary: `all ${health.secrets.length} secrets comply with ${rt.policy.rules.length} rule(s); value rules (length, alphabet) are enforced at create and rotate`, source, findings };
}

function anomaliesEvidence(counts: Record<string, number>, bySeverity: Record<string, number>, days: number, logMissing: boolean): EvidenceItem {
  const source = `vh-secrets audit anomaly detectors over the last ${days} days of the audit log`;
  if (logMissing) return { status: 'not-measurable', summary: 'no audit log to examine', source, findings: [] };
  const findings = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => ({ subject: kind, status: 'fail' as ControlStatus, detail: `${n} found` }));
  const serious = (bySeverity.high ?? 0) + (bySeverity.medium ?? 0);
  const low = bySeverity.low ?? 0;
  if (serious > 0) {
    return {
      status: 'fail',
      summary: `${serious} medium/high anomalies in the period await triage (vh-secrets keeps no triage record: an anomaly counts as open until it leaves the period)`,
      source,
      findings,
    };
  }
  for (const f of findings) f.status = 'pass';
  return { status: 'pass', summary: low > 0 ? `no medium or high anomalies; ${low} low-severity noted` : 'detectors ran over the period and found no anomalies', source, findings };
}

/** One finding per configured store, in alias order, from what its provider judges of it; a bad config is not-measurable. */
async function storeFindings(rt: Runtime, judge: (posture: StorePosture) => PostureFinding | Promise<PostureFinding>): Promise<EvidenceItem['findings']> {
  const findings: EvidenceItem['findings'] = [];
  for (const cfg of [...rt.config.stores.values()].sort((a, b) => a.alias.localeCompare(b.alias))) {
    const posture = await rt.storePosture(cfg.alias).catch((err: unknown) => err as Error);
    const r = posture instanceof Error ? { status: 'not-measurable' as const, detail: posture.message } : await judge(posture);
    findings.push({ subject: `store ${cfg.alias} (${cfg.provider})`, status: r.status, detail: r.detail });
  }
  return findings;
}

async function encryptionEvidence(rt: Runtime): Promise<EvidenceItem> {
  const findings = await storeFindings(rt, (posture) => posture.atRest());
  const status = combine(findings.map((f) => f.status));
  const n = (s: ControlStatus) => findings.filter((f) => f.status === s).length;
  return { status, summary: `${n('pass')} store(s) measured encrypted, ${n('fail')} failing, ${n('not-measurable')} encrypted by the provider's design but not observable`, source: 'store files (file provider) and provider documentation (cloud stores)', findings };
}

async function transportEvidence(rt: Runtime): Promise<EvidenceItem> {
  const findings = await storeFindings(rt, (posture) => posture.transport);
  for (const sink of rt.config.audit.sinks) {
    if (sink.kind === 'http') {
      const https = sink.url.startsWith('https:');
      findings.push({ subject: `audit sink ${sink.name}`, status: https ? 'pass' : 'fail', detail: `${new URL(sink.url).origin} uses ${https ? 'https' : 'http: events travel without TLS'}` });
    } else {
      findings.push({ subject: `audit sink ${sink.name}`, status: sink.transport === 'tls' ? 'pass' : 'fail', detail: `syslog over ${sink.transport}${sink.transport === 'tls' ? '' : ': events travel without TLS'}` });
    }
  }
  const status = combine(findings.map((f) => f.status));
  const failing = findings.filter((f) => f.status === 'fail').map((f) => f.subject);
  return {
    status,
    summary: failing.length > 0 ? `without TLS: ${failing.join(', ')}` : status === 'pass' ? `all ${findings.length} endpoints use TLS or are local` : 'some endpoints could not be determined',
    source: 'configured store addresses/endpoints and audit sinks',
    findings,
  };
}

// ---------------------------------------------------------------------------------------------- report

export interface ComplianceInput {
  frameworks: Framework[];
  /** Days of audit log the anomaly detectors look at. @default 30 */
  days?: number;
  now?: Date;
}

export async function buildComplianceReport(rt: Runtime, input: ComplianceInput): Promise<ComplianceReport> {
  const now = input.now ?? new Date();
  const days = input.days ?? 30;
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new VhError('USAGE', `--days must be a whole number from 1 to 3650, not "${days}"`);
  const period = { since: new Date(now.getTime() - days * 86_400_000), until: now };
  const wanted = new Set(CONTROLS.filter((c) => input.frameworks.includes(c.framework)).flatMap((c) => [...c.evidence, ...(c.supporting ?? [])]));

  const evidence = new Map<EvidenceId, EvidenceItem>();
  let health: HealthReport | undefined;
  const needHealth = wanted.has('rotation') || wanted.has('credential_age_90d') || wanted.has('policy_compliance') || wanted.has('key_management');
  if (needHealth) health = await checkHealth(rt, { tags: {}, now, targets: wanted.has('key_management') });

  let denials = 0;
  let logMissing = false;
  let anomalyCounts: Record<string, number> = {};
  const bySeverity: Record<string, number> = {};
  if (wanted.has('anomalies') || wanted.has('access_policy')) {
    try {
      await fs.access(rt.config.audit.log);
      const audit = await buildAuditReport(rt.config.audit, { period, top: 20, now });
      denials = audit.failures.by_error_code.top.find((r) => r.key === 'PERMISSION_DENIED')?.total ?? 0;
      anomalyCounts = audit.anomaly_counts;
      for (const a of audit.anomalies) bySeverity[a.severity] = (bySeverity[a.severity] ?? 0) + 1;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !(isVhError(err) && err.code === 'NOT_FOUND')) throw err;
      logMissing = true;
    }
  }

  for (const id of wanted) {
    switch (id) {
      case 'access_policy':
        evidence.set(id, accessPolicyEvidence(rt, denials));
        break;
      case 'audit_integrity':
        evidence.set(id, await auditIntegrityEvidence(rt));
        break;
      case 'anomalies':
        evidence.set(id, anomaliesEvidence(anomalyCounts, bySeverity, days, logMissing));
        break;
      case 'rotation':
        evidence.set(id, rotationEvidence(health!));
        break;
      case 'credential_age_90d':
        evidence.set(id, credentialAgeEvidence(health!, now));
        break;
      case 'policy_compliance':
        evidence.set(id, policyComplianceEvidence(rt, health!));
        break;
      case 'encryption_at_rest':
        evidence.set(id, await encryptionEvidence(rt));
        break;
      case 'transport_security':
        evidence.set(id, await transportEvidence(rt));
        break;
      case 'key_management': {
        const keys = keyManagementEvidence(health!);
        if (keys) evidence.set(id, keys);
        break;
      }
    }
  }

  const controls: ControlResult[] = CONTROLS.filter((c) => input.frameworks.includes(c.framework)).map((c) => {
    const items = [...c.evidence, ...(c.supporting ?? []).filter((id) => evidence.has(id))].map((id) => ({ id, ...evidence.get(id)! }));
    const status = combine(items.map((e) => e.status));
    const failing = items.filter((e) => e.status === 'fail').map((e) => e.id);
    const unmeasured = items.filter((e) => e.status === 'not-measurable').map((e) => e.id);
    const reason =
      status === 'pass' ? `measured: ${items.map((e) => e.id).join(', ')} pass`
      : status === 'fail' ? `failing evidence: ${failing.join(', ')}`
      : `cannot be measured in full: ${unmeasured.join(', ')}`;
    return {
      framework: c.framework,
      control: c.control,
      title: c.title,
      status,
      reason,
      evidence: items.map((e) => ({ id: e.id, status: e.status, summary: e.summary, source: e.source })),
    };
  });
  const count = (s: ControlStatus) => controls.filter((c) => c.status === s).length;
  const order: EvidenceId[] = ['access_policy', 'audit_integrity', 'anomalies', 'rotation', 'credential_age_90d', 'policy_compliance', 'key_management', 'encryption_at_rest', 'transport_security'];
  return {
    schema: COMPLIANCE_SCHEMA,
    generated_at: now.toISOString(),
    frameworks: input.frameworks,
    status: count('fail') > 0 ? 'fail' : count('not-measurable') > 0 ? 'not-measurable' : 'pass',
    summary: { controls: controls.length, pass: count('pass'), fail: count('fail'), not_measurable: count('not-measurable') },
    period: { since: period.since.toISOString(), until: period.until.toISOString() },
    policy: rt.policy?.file ?? null,
    controls,
    evidence: order.filter((id) => evidence.has(id)).map((id) => ({ id, title: TITLES[id], ...evidence.get(id)! })),
  };
}
