import { promises as fs } from 'node:fs';
import { VhError, fromSystemError } from '../base/errors.js';
import { writeFileAtomic } from '../base/fsutil.js';
import { runHook } from '../base/hook.js';
import { globToRegExp } from '../base/text.js';
import type { Config, ReloadConfig } from '../core/config.js';
import type { Runtime } from '../core/runtime.js';
import type { Metadata } from '../core/store.js';
import { RELOAD_META } from '../core/rotation-state.js';
import { renderTemplate } from '../core/template.js';

/**
 * Reload after rotation: once a new value is current (after promote) and before the previous one is retired
 * (cleanup), each matching `[[reload]]` renders its templates again and then runs its action, so the running
 * application picks the new value up while the old one still works. A failure keeps the previous version valid:
 * the rotation waits at `reload_failed` and `rotate --resume` tries again.
 */


/** The reloads for a secret: those it names (`vh-reload`), then those whose `secrets` patterns match it. */
export function reloadsFor(config: Config, secretId: string, metadata: Metadata): ReloadConfig[] {
  const named = (metadata[RELOAD_META] ?? '').split(',').map((n) => n.trim()).filter(Boolean);
  const out: ReloadConfig[] = [];
  for (const n of named) {
    const r = config.reloads.find((x) => x.name === n);
    if (!r) throw new VhError('CONFIG', `${secretId} names reload "${n}", which the config does not define`, { hint: config.reloads.some((x) => x.name) ? `defined reloads: ${config.reloads.flatMap((x) => (x.name ? [x.name] : [])).join(', ')}` : 'add a [[reload]] table with name = "…"' });
    out.push(r);
  }
  for (const r of config.reloads) if (!out.includes(r) && r.secrets.some((g) => globToRegExp(g).test(secretId))) out.push(r);
  return out;
}

export function describeReload(r: ReloadConfig): string {
  const what = r.name ? `reload ${r.name}` : 'reload';
  const a = r.action;
  const action = !a ? '' : a.kind === 'command' ? `command ${a.argv[0]}` : a.kind === 'signal' ? `${a.signal} to the pid in ${a.pidFile}` : a.kind === 'systemctl' ? `systemctl reload ${a.unit}` : `kubectl rollout restart ${a.resource}`;
  const templates = r.templates.length ? `${r.templates.length} template(s)` : '';
  return `${what} (${[templates, action].filter(Boolean).join(', then ')})`;
}

export interface ReloadInfo {
  secret: string;
  version: string;
  previousVersion: string | null;
}

/** Renders the reload's templates again, then runs its action. Throws a one-line VhError naming the reload. */
export async function runReload(rt: Runtime, r: ReloadConfig, info: ReloadInfo): Promise<void> {
  const where = describeReload(r);
  for (const t of r.templates) {
    let text: string;
    try {
      text = await fs.readFile(t.source, 'utf8');
    } catch (err) {
      throw fromSystemError(err, `${where}: cannot read the template`, t.source);
    }
    const rendered = await renderTemplate(rt, text, t.source);
    await writeFileAtomic(t.destination, rendered.text, 0o600);
  }
  const a = r.action;
  if (!a) return;
  if (a.kind === 'signal') {
    let pid: number;
    try {
      pid = Number((await fs.readFile(a.pidFile, 'utf8')).trim());
    } catch (err) {
      throw fromSystemError(err, `${where}: cannot read the pid file`, a.pidFile);
    }
    if (!Number.isInteger(pid) || pid <= 1) throw new VhError('CONFIG', `${where}: ${a.pidFile} does not hold a process id`);
    try {
      process.kill(pid, a.signal);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new VhError(code === 'EPERM' ? 'PERMISSION_DENIED' : 'NOT_FOUND', `${where}: cannot signal pid ${pid} (${code === 'ESRCH' ? 'no such process' : (code ?? 'error')})`);
    }
    return;
  }
  const argv = a.kind === 'command' ? a.argv : a.kind === 'systemctl' ? ['systemctl', 'reload', a.unit] : ['kubectl', 'rollout', 'restart', a.resource, ...(a.namespace ? ['--namespace', a.namespace] : [])];
  // The value is never in argv or the environment: the hook gets the ref and the versions, and reads the value
  // itself (`vh-secrets get`, a rendered template) if it needs it.
  await runHook(argv, {
    env: { VH_SECRET: info.secret, VH_VERSION: info.version, VH_PREVIOUS_VERSION: info.previousVersion ?? '', ...(r.name ? { VH_RELOAD: r.name } : {}) },
    timeoutMs: r.timeoutMs,
    where,
    secrets: [],
  });
}
