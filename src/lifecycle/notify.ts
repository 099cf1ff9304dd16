import { hostname } from 'node:os';
import { join } from 'node:path';
import { windowText, type Notice, type NoticeChannel, type NoticeWindow, type NotifyChannelConfig } from '../notify/types.js';
import { VhError, isVhError, type ErrorCode } from '../base/errors.js';
import { evaluateSecret } from '../health/evaluate.js';
import { STATE_KEY, noticeExpiry } from '../core/lifecycle-marks.js';
import { decodeMeta, metaFilter } from '../core/metadata.js';
import { FileLock, ensurePrivateDir } from '../base/fsutil.js';
import { mapBounded } from '../base/pool.js';
import { rotationSettings } from '../core/rotation-state.js';
import type { Runtime } from '../core/runtime.js';
import { authorize } from '../core/secrets.js';
import type { SecretDescription } from '../core/store.js';
import { TYPE_POLICIES, type SecretType } from '../core/types.js';

/**
 * Expiry and rotation notices. A secret enters a warning window `warnDays` (the type's policy, or
 * `--within-days`) before its expiry or its rotation due date; it gets one notice per window and channel, and
 * one more when the deadline passes. What was sent is kept with the secret, in `vh-notified`, so every host
 * sees it: space-separated window ids, each either complete (`rotation-20260501T000000Z`) or followed by the
 * channels that already took it (`…=slack+pager`). A channel that fails leaves its part unmarked, so the next
 * run retries exactly that. A new deadline (after a rotation, or a new expiry) is a new window.
 */

export const NOTIFIED_KEY = 'vh-notified';
const DAY = 86_400_000;

export interface NotifyInput {
  withinDays?: number;
  dryRun?: boolean;
  store?: string;
  type?: SecretType;
  tags?: Record<string, string>;
  now?: Date;
}

export interface ChannelFailure {
  channel: string;
  reason: 'unreachable' | 'rejected' | 'timeout';
  message: string;
}

export interface NoticeResult {
  secret: string;
  type: string;
  owner: string | null;
  windows: NoticeWindow[];
  /** sent: every channel took it; partial / failed: some / none did (retried next run); planned: --dry-run. */
  status: 'sent' | 'partial' | 'failed' | 'planned';
  delivered: string[];
  failed: ChannelFailure[];
  /** The notice went out but could not be recorded in the store (it may be sent again). */
  mark_error: string | null;
}

export interface NotifyReport {
  generated_at: string;
  dry_run: boolean;
  within_days: number | null;
  channels: { name: string; kind: string }[];
  notices: NoticeResult[];
  summary: { secrets: number; due: number; sent: number; failed: number; planned: number; already_notified: number; expired_recorded: number };
  errors: { store: string; code: ErrorCode; message: string }[];
}

/** `20260501T000000Z`: valid inside every store's metadata (Vault, AWS/Azure tags, GCP annotations). */
function compact(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
}

export function windowId(kind: NoticeWindow['kind'], deadline: string, phase: NoticeWindow['phase']): string {
  return `${kind}-${compact(deadline)}${phase === 'warning' ? '' : `-${phase}`}`;
}

/** `vh-notified` → window id → channels that took it (`'all'` when complete). */
export function parseNotified(text: string | undefined): Map<string, Set<string> | 'all'> {
  const out = new Map<string, Set<string> | 'all'>();
  for (const entry of (text ?? '').split(' ')) {
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    if (eq < 0) out.set(entry, 'all');
    else out.set(entry.slice(0, eq), new Set(entry.slice(eq + 1).split('+').filter((c) => c !== '')));
  }
  return out;
}

export function formatNotified(state: Map<string, Set<string> | 'all'>): string | null {
  const parts = [...state].map(([id, sent]) => (sent === 'all' ? id : sent.size > 0 ? `${id}=${[...sent].sort().join('+')}` : '')).filter((p) => p !== '');
  return parts.length > 0 ? parts.join(' ') : null;
}

/** The windows a secret is in now, from the same due/expiry figures `health` computes. */
export function windowsOf(alias: string, desc: SecretDescription, now: Date, withinDays: number | undefined): { windows: NoticeWindow[]; type: SecretType } {
  const health = evaluateSecret(alias, desc, now, rotationSettings());
  const within = (withinDays ?? TYPE_POLICIES[health.type].warnDays) * DAY;
  const t = now.getTime();
  const windows: NoticeWindow[] = [];
  const add = (kind: NoticeWindow['kind'], deadline: string | null) => {
    const at = deadline ? Date.parse(deadline) : NaN;
    if (!Number.isFinite(at) || t < at - within) return;
    const phase: NoticeWindow['phase'] = t < at ? 'warning' : kind === 'rotation' ? 'overdue' : 'expired';
    const iso = new Date(at).toISOString();
    windows.push({ kind, phase, deadline: iso, days_left: Math.round(((at - t) / DAY) * 10) / 10, id: windowId(kind, iso, phase) });
  };
  add('expiry', health.expires_at);
  add('rotation', health.rotation_due_at);
  return { windows, type: health.type };
}

async function openChannels(configs: NotifyChannelConfig[]): Promise<NoticeChannel[]> {
  const channels: NoticeChannel[] = [];
  for (const c of configs) {
    if (c.kind === 'webhook') channels.push((await import('../notify/webhook.js')).webhookChannel(c));
    else channels.push((await import('../notify/command.js')).commandChannel(c));
  }
  return channels;
}

function summaryLine(secret: string, type: string, windows: NoticeWindow[]): string {
  return `${secret} (${type}): ${windows.map(windowText).join('; ')}`;
}

/**
 * `vh-secrets notify`: one notice per secret and window, to every configured channel, at most once. One run at a time per host: a second `notify` while one runs would
 * read the same "not yet notified" marks and send every notice twice, so it stops with CONFLICT (exit 75)
 * instead. Across hosts, the marks in store metadata are the only record: schedule notify on one host.
 */
export async function sendNotices(rt: Runtime, input: NotifyInput = {}): Promise<NotifyReport> {
  if (input.dryRun === true) return runNotices(rt, input);
  const dir = rt.config.paths.lockDir;
  await ensurePrivateDir(dir);
  const path = join(dir, 'notify.lock');
  let lock: FileLock;
  try {
    lock = await FileLock.acquire(path, { timeoutMs: 0 });
  } catch (err) {
    if (isVhError(err) && err.code === 'CONFLICT') {
      throw new VhError('CONFLICT', 'another `vh-secrets notify` is running on this host', { hint: `it sends what this run would; try again when it ends (lock: ${path})`, details: { path } });
    }
    throw err;
  }
  try {
    return await runNotices(rt, input);
  } finally {
    await lock.release();
  }
}

async function runNotices(rt: Runtime, input: NotifyInput): Promise<NotifyReport> {
  const now = input.now ?? new Date();
  const dryRun = input.dryRun === true;
  const cfg = rt.config.notify;
  if (input.withinDays !== undefined && (!Number.isInteger(input.withinDays) || input.withinDays < 0 || input.withinDays > 3650)) {
    throw new VhError('USAGE', '--within-days must be a whole number of days from 0 to 3650');
  }
  if (cfg.channels.length === 0 && !dryRun) {
    throw new VhError('CONFIG', 'no notice channels are configured', { hint: 'add [[notify.channels]] (kind = "webhook" or "command") to the config, or use --dry-run' });
  }
  const channels = dryRun ? [] : await openChannels(cfg.channels);
  const allNames = cfg.channels.map((c) => c.name);
  const host = hostname();
  const aliases = input.store !== undefined ? [rt.resolveAlias(input.store)] : [...rt.config.stores.keys()].sort();
  const report: NotifyReport = {
    generated_at: now.toISOString(),
    dry_run: dryRun,
    within_days: input.withinDays ?? null,
    channels: cfg.channels.map((c) => ({ name: c.name, kind: c.kind })),
    notices: [],
    summary: { secrets: 0, due: 0, sent: 0, failed: 0, planned: 0, already_notified: 0, expired_recorded: 0 },
    errors: [],
  };

  for (const alias of aliases) {
    try {
      const store = await rt.store(alias);
      const names: string[] = [];
      for await (const s of store.list({ metadata: metaFilter(input.type, input.tags ?? {}) })) names.push(s.name);
      // Secrets in parallel (a few at a time); each secret's channels in parallel too.
      await mapBounded(names, 8, async (name) => {
        let desc: SecretDescription;
        try {
          desc = await store.describe(name);
        } catch (err) {
          if (isVhError(err) && err.code === 'NOT_FOUND') return; // purged since the listing
          throw err;
        }
        report.summary.secrets++;
        try {
          await authorize(rt, 'notify', { store: alias, id: `${alias}:${name}` });
        } catch (err) {
          // A denied secret gets no notice; the others still do.
          if (!isVhError(err) || err.code !== 'PERMISSION_DENIED') throw err;
          report.errors.push({ store: alias, code: err.code, message: err.message });
          return;
        }
        // Retired secrets get no notices: nobody is expected to rotate or renew them.
        if (desc.revoked || desc.metadata[STATE_KEY] === 'archived') return;
        const { windows, type } = windowsOf(alias, desc, now, input.withinDays);
        if (windows.length === 0) return;
        if (!dryRun && windows.some((w) => w.phase === 'expired') && (await noticeExpiry(rt, alias, store, desc, now))) report.summary.expired_recorded++;
        const state = parseNotified(desc.metadata[NOTIFIED_KEY]);
        const secret = `${alias}:${name}`;
        // Per window, the channels still owed a notice. A deadline already announced as past needs no warning.
        const owed = new Map<string, string[]>();
        for (const w of windows) {
          const sent = state.get(w.id);
          const pastSent = w.phase === 'warning' && [...state.keys()].some((id) => id.startsWith(`${w.id}-`) && state.get(id) === 'all');
          if (sent === 'all' || pastSent) continue;
          const need = allNames.filter((c) => !(sent instanceof Set && sent.has(c)));
          // No channels at all happens only with --dry-run: show what is due.
          if (need.length > 0 || allNames.length === 0) owed.set(w.id, need);
        }
        if (owed.size === 0) {
          report.summary.already_notified++;
          return;
        }
        report.summary.due++;
        const pending = windows.filter((w) => owed.has(w.id));
        const meta = decodeMeta(desc.metadata);
        const result: NoticeResult = { secret, type, owner: meta.owner ?? null, windows: pending, status: 'planned', delivered: [], failed: [], mark_error: null };
        report.notices.push(result);
        if (dryRun) {
          report.summary.planned++;
          return;
        }
        await Promise.all(
          channels.map(async (ch) => {
            const mine = pending.filter((w) => owed.get(w.id)!.includes(ch.name));
            if (mine.length === 0) return;
            const notice: Notice = {
              schema: 'vh-secrets/notice@1',
              generated_at: now.toISOString(),
              host,
              secret,
              store: alias,
              name,
              type,
              owner: meta.owner ?? null,
              windows: mine,
              summary: summaryLine(secret, type, mine),
              contacts: cfg.contacts,
            };
            try {
              await ch.send(notice);
              result.delivered.push(ch.name);
              for (const w of mine) {
                const prev = state.get(w.id);
                const set = prev instanceof Set ? prev : new Set<string>();
                set.add(ch.name);
                state.set(w.id, set);
              }
            } catch (err) {
              const f = (err as { failure?: { reason: ChannelFailure['reason']; message: string } }).failure;
              result.failed.push({ channel: ch.name, reason: f?.reason ?? 'rejected', message: f?.message ?? (err as Error).message });
            }
          }),
        );
        result.delivered.sort();
        result.failed.sort((a, b) => a.channel.localeCompare(b.channel));
        // Keep only the windows that are current; a set that covers every configured channel is complete.
        const next = new Map<string, Set<string> | 'all'>();
        for (const w of windows) {
          const s = state.get(w.id);
          if (s === undefined) continue;
          next.set(w.id, s === 'all' || allNames.every((n) => s.has(n)) ? 'all' : s);
        }
        const value = formatNotified(next);
        if (value !== (desc.metadata[NOTIFIED_KEY] ?? null)) {
          try {
            await store.setMetadata(name, { [NOTIFIED_KEY]: value });
          } catch (err) {
            result.mark_error = isVhError(err) ? `${err.code}: ${err.message}` : String(err);
          }
        }
        result.status = result.failed.length === 0 ? 'sent' : result.delivered.length > 0 ? 'partial' : 'failed';
        if (result.status === 'sent') report.summary.sent++;
        else report.summary.failed++;
      });
    } catch (err) {
      if (input.store !== undefined || !isVhError(err)) throw err;
      report.errors.push({ store: alias, code: err.code, message: err.message });
    }
  }
  report.notices.sort((a, b) => a.secret.localeCompare(b.secret));
  return report;
}
