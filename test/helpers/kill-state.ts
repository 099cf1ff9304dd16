import type { SecretStore } from '../../src/core/store.js';
import { run } from './cli.js';
import { auditEvents } from './audit-log.js';
import { journals, promotionFindings } from './kill.js';
import { storeFindings } from './kill-inspect.js';

/**
 * The legal end of an interrupted rotation, after `--resume` or `--abort`: exactly one current version and
 * nothing pending; either the old value current, or a new one that a rotation promoted from the old version
 * after verifying it; no version left enabled that holds any other value; no marker, no provider bookkeeping,
 * no journal in progress; the audit chain intact. Each finding is one sentence; none means legal.
 */

export interface Settled {
  findings: string[];
  /** `old`: the version current before the kill is current; `new`: another one is. */
  end: 'old' | 'new';
  endVersion: string | undefined;
  endValue: Buffer;
}

export interface Subject {
  provider: string;
  store: SecretStore;
  name: string;
  /** `alias:name`, as the journal and audit log name it */
  ref: string;
  home: string;
  env: NodeJS.ProcessEnv;
  /** The current version and value before the rotation that was killed. */
  c0: string;
  v0: Buffer;
}

export async function settledFindings(s: Subject): Promise<Settled> {
  const findings: string[] = [];
  const end = await s.store.describe(s.name);
  const endVersion = end.currentVersion;
  if (end.pendingVersion) findings.push(`version ${end.pendingVersion} is still pending`);
  if (end.versions.filter((v) => v.stages.includes('current')).length !== 1) findings.push('not exactly one current version');
  if (end.versions.some((v) => v.stages.includes('pending'))) findings.push('a version is still staged as pending');
  if (end.metadata['vh-rotation']) findings.push(`the rotation marker is still set: ${end.metadata['vh-rotation']}`);
  const endValue = (await s.store.get(s.name)).value;
  if (endVersion === s.c0) {
    if (!endValue.equals(s.v0)) findings.push('the current version is the old one but reads as another value');
  } else {
    findings.push(...promotionFindings(await auditEvents(s.home), s.ref, s.c0, endVersion));
  }
  for (const v of end.versions) {
    if (v.state !== 'enabled') continue;
    // AWS has no per-version disable: a version without labels is deprecated (AWS deletes it in time), which is
    // how a discarded one ends; labels it still carries are checked by storeFindings.
    if (s.provider === 'aws' && v.stages.length === 0) continue;
    const read = await s.store.get(s.name, { version: v.version }).catch(() => undefined);
    if (read && !read.value.equals(s.v0) && !read.value.equals(endValue)) {
      findings.push(`version ${v.version} (${v.stages.join('/') || 'no stage'}) holds a value that is neither the old nor the current one, and is still enabled`);
    }
  }
  findings.push(...(await storeFindings(s.provider, s.name, s.store, endValue)));
  for (const j of await journals(s.home)) if (j.secret === s.ref && j.status === 'in_progress') findings.push(`journal ${j.file} is left in_progress (phase ${j.phase})`);
  const verify = await run(['audit', 'verify'], { env: s.env, timeoutMs: 60_000 });
  if (verify.code !== 0) findings.push(`audit verify exited ${verify.code}: ${verify.stderr.trim() || verify.out.trim()}`);
  return { findings, end: endVersion === s.c0 ? 'old' : 'new', endVersion, endValue };
}
