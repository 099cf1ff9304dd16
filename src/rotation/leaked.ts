import { randomBytes } from 'node:crypto';
import { isVhError } from '../base/errors.js';
import type { Runtime } from '../core/runtime.js';
import { resolveRef } from '../core/secrets.js';
import type { ManagedRef } from '../scan/managed.js';
import { RotationEngine, type RotationOutcome } from './engine.js';
import { rotationManagement } from './managed.js';

/**
 * From a leak to a rotated secret (`scan --managed --rotate-leaked`): the scan's findings that are managed values
 * become one incident — an emergency rotation of every secret whose *current* value leaked (the leaked value
 * revoked at once, targets updated), and a revocation of every leaked *earlier* version still valid — recorded as
 * one `incident` event that names the findings (by fingerprint), the secrets, what was done and how it ended.
 */

/** What the incident needs of a finding: where, which rule, its fingerprint, and the managed value it is. */
export interface LeakedFinding {
  ruleId: string;
  file: string;
  line: number;
  fingerprint: string;
  commit?: string;
  managed: ManagedRef;
}

export interface LeakPlanItem {
  /** `store:name` */
  secret: string;
  /** The versions found leaked (a field of a version counts as the version). */
  versions: string[];
  findings: LeakedFinding[];
  /** Fields of a JSON-object value found (`password`); empty when only whole values were. */
  fields: string[];
  /** The audit reason: the first place it was found, and how many more. */
  reason: string;
}

export type LeakActionStatus = 'rotated' | 'revoked' | 'planned' | 'nothing' | 'failed';

export interface LeakActionResult {
  secret: string;
  status: LeakActionStatus;
  /** One line on what was (or would be) done, or why it failed; never a value. */
  detail: string;
  rotation_id: string | null;
  /** Versions revoked: the leaked current one (through the rotation's emergency cleanup) and leaked earlier ones. */
  revoked: string[];
  error: { code: string; message: string } | null;
}

export interface IncidentResult {
  /** null for a dry run: nothing was done, nothing recorded. */
  incident: string | null;
  results: LeakActionResult[];
  /** Every leaked value is no longer valid (or, for a dry run, every action could run). */
  ok: boolean;
}

/** The secret part of a managed ref (`store:name#field` → `store:name`). */
function secretOf(ref: string): string {
  const hash = ref.indexOf('#');
  return hash === -1 ? ref : ref.slice(0, hash);
}

function where(f: LeakedFinding): string {
  return `${f.file}:${f.line}${f.commit ? `@${f.commit.slice(0, 12)}` : ''} (${f.ruleId})`;
}

/** Groups findings by secret, in the order first found. */
export function planLeaks(findings: readonly LeakedFinding[]): LeakPlanItem[] {
  const bySecret = new Map<string, LeakPlanItem>();
  for (const f of findings) {
    const secret = secretOf(f.managed.ref);
    let item = bySecret.get(secret);
    if (!item) {
      item = { secret, versions: [], findings: [], fields: [], reason: '' };
      bySecret.set(secret, item);
    }
    if (!item.versions.includes(f.managed.version)) item.versions.push(f.managed.version);
    const field = f.managed.ref.length > secret.length ? f.managed.ref.slice(secret.length + 1) : undefined;
    if (field !== undefined && !item.fields.includes(field)) item.fields.push(field);
    item.findings.push(f);
  }
  for (const item of bySecret.values()) {
    const first = item.findings.find((f) => f.managed.current) ?? item.findings[0]!;
    const more = item.findings.length - 1;
    item.reason = `leaked: ${where(first)}${more ? ` and ${more} more place${more === 1 ? '' : 's'}` : ''}`;
  }
  return [...bySecret.values()];
}

function newIncidentId(now: Date): string {
  return `inc-${now.toISOString().replace(/[-:TZ.]/g, '').slice(0, 14)}-${randomBytes(4).toString('hex')}`;
}

export interface RespondOptions {
  dryRun?: boolean;
  /** Rotate a secret whose value is issued elsewhere anyway (replaced by a generated value), as `rotate --force`. */
  force?: boolean;
  onItem?: (secret: string) => void;
  now?: () => Date;
}

/**
 * Acts on each leaked secret, one after another (an incident is a handful of secrets; their order in the report is
 * the order acted on). What is current is read from the store now, not from the index: a version the index
 * called current but that was rotated since is revoked as an earlier one.
 */
export async function respondToLeaks(rt: Runtime, items: readonly LeakPlanItem[], options: RespondOptions = {}): Promise<IncidentResult> {
  const now = options.now ?? (() => new Date());
  const incident = options.dryRun ? null : newIncidentId(now());
  const engine = new RotationEngine(rt);
  const results: LeakActionResult[] = [];
  for (const item of items) {
    options.onItem?.(item.secret);
    results.push(await respondTo(rt, engine, item, incident, options));
  }
  const ok = results.every((r) => r.status !== 'failed');
  if (incident) {
    const rotated = results.filter((r) => r.status === 'rotated').length;
    await rt.audit.record({
      event: 'incident',
      secret: null,
      secret_type: null,
      store: null,
      success: ok,
      error_code: ok ? null : (results.find((r) => r.error)?.error?.code ?? 'INTERNAL'),
      details: {
        incident_id: incident,
        kind: 'leaked-secret',
        findings: items.flatMap((i) => i.findings.map((f) => f.fingerprint)).join(','),
        secrets: items.map((i) => i.secret).join(','),
        actions: results.map((r) => `${r.secret}: ${r.status}${r.rotation_id ? ` (${r.rotation_id})` : ''}${r.revoked.length ? ` revoked ${r.revoked.join(',')}` : ''}`).join('; '),
        outcome: ok ? 'contained' : rotated > 0 || results.some((r) => r.status === 'revoked') ? 'partial' : 'failed',
      },
    });
  }
  return { incident, results, ok };
}

async function respondTo(rt: Runtime, engine: RotationEngine, item: LeakPlanItem, incident: string | null, options: RespondOptions): Promise<LeakActionResult> {
  const base = { secret: item.secret, rotation_id: null, revoked: [] as string[], error: null };
  const failed = (code: string, message: string): LeakActionResult => ({ ...base, status: 'failed', detail: message, error: { code, message } });
  try {
    const ref = resolveRef(rt, item.secret);
    const store = await rt.store(ref.store);
    const desc = await store.describe(ref.name);
    const current = desc.currentVersion;
    const earlier = item.versions.filter((v) => v !== current && desc.versions.some((x) => x.version === v && x.state === 'enabled'));
    const reason = incident ? `${item.reason}; incident ${incident}` : item.reason;
    if (current !== undefined && item.versions.includes(current)) {
      const m = rotationManagement(rt.config, ref.id, desc.metadata);
      if (!m.managed && !options.force) {
        return failed('USAGE', `its current version ${current} leaked, but its value is issued elsewhere (${m.why}): revoke it at its issuer and store the new one with \`vh-secrets rotate ${ref.id} --emergency --value-file FILE\`, or pass --force to replace it with a generated value`);
      }
      // A field found (a credential object's password): that field is what rotates, unless the secret names its own.
      const rotated = item.fields.length > 0 && desc.metadata['vh-key'] === undefined ? `${ref.id}#${item.fields[0]}` : ref.id;
      const outcome: RotationOutcome = await engine.rotate(rotated, { emergency: true, reason, force: true, ...(options.dryRun ? { dryRun: true } : {}) }, desc);
      if (options.dryRun) {
        const also = earlier.length ? `, and revoke earlier version${earlier.length === 1 ? '' : 's'} ${earlier.join(', ')}` : '';
        return { ...base, status: outcome.status === 'planned' ? 'planned' : 'failed', detail: `current version ${current} leaked: would rotate now and revoke it at once${also}`, ...(outcome.status === 'planned' ? {} : { error: { code: outcome.error?.code ?? 'INTERNAL', message: outcome.note ?? 'cannot be rotated' } }) };
      }
      if (outcome.status !== 'rotated' && outcome.status !== 'reload_failed') {
        return { ...failed(outcome.error?.code ?? 'INTERNAL', `rotation ${outcome.status}: ${outcome.error?.message ?? outcome.note ?? ''}`), rotation_id: outcome.rotation_id };
      }
      const revoked = outcome.cleanup === 'revoked' ? [current] : [];
      const older = earlier.filter((v) => v !== outcome.previous_version);
      revoked.push(...(await engine.retireNow(ref.id, older, reason)));
      const problems = [outcome.cleanup !== 'revoked' ? `the leaked version ${current} is not revoked yet: ${outcome.note ?? 'run `vh-secrets rotate ' + ref.id + ' --resume`'}` : '', outcome.status === 'reload_failed' ? `the reload failed: ${outcome.error?.message ?? ''}` : ''].filter(Boolean);
      const detail = `rotated ${current} → ${outcome.version}${revoked.length ? `; revoked ${revoked.join(', ')}` : ''}${problems.length ? `; ${problems.join('; ')}` : ''}`;
      if (outcome.cleanup !== 'revoked') return { ...base, status: 'failed', detail, rotation_id: outcome.rotation_id, revoked, error: { code: outcome.error?.code ?? 'INTERNAL', message: problems.join('; ') } };
      return { ...base, status: 'rotated', detail, rotation_id: outcome.rotation_id, revoked };
    }
    if (earlier.length === 0) return { ...base, status: 'nothing', detail: `the leaked version${item.versions.length === 1 ? '' : 's'} ${item.versions.join(', ')} ${item.versions.length === 1 ? 'is' : 'are'} no longer valid; current is ${current ?? 'none'}` };
    if (options.dryRun) return { ...base, status: 'planned', detail: `earlier version${earlier.length === 1 ? '' : 's'} ${earlier.join(', ')} leaked (current ${current} did not): would revoke ${earlier.length === 1 ? 'it' : 'them'} now` };
    const revoked = await engine.retireNow(ref.id, earlier, reason);
    return { ...base, status: 'revoked', detail: `revoked earlier version${revoked.length === 1 ? '' : 's'} ${revoked.join(', ')} (current ${current} did not leak)`, revoked };
  } catch (err) {
    if (!isVhError(err)) throw err;
    return failed(err.code, err.message);
  }
}
