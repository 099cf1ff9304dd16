import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { BIN, NODE, ROOT, run, tempHome } from './cli.js';
import type { SecretStore } from '../../src/core/store.js';
import { uniqueName } from '../providers/contract.js';
import type { StoreUnderTest } from './stores.js';
import type { AuditLine } from './audit-log.js';

/**
 * The pieces of a random-kill experiment: a seeded PRNG (so a run can be replayed with VH_KILLS_SEED), a CLI
 * run that is SIGKILLed a chosen number of milliseconds after it was spawned, and the reading of what the
 * killed run had recorded (journal and audit log) before it died.
 */

export const PHASES = ['prepare', 'generate', 'stage', 'verify', 'promote', 'cleanup'] as const;
export type Phase = (typeof PHASES)[number];

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The run's seed: VH_KILLS_SEED to replay one, else a fresh one (printed by the caller). */
export function killSeed(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.VH_KILLS_SEED;
  if (raw !== undefined && raw !== '') {
    if (!/^\d+$/.test(raw)) throw new Error(`VH_KILLS_SEED must be a whole number, not "${raw}"`);
    return Number(raw) >>> 0;
  }
  return randomBytes(4).readUInt32BE(0);
}

/** One seed per matrix, derived from the run's seed, so each matrix replays on its own whatever else runs. */
export function subSeed(seed: number, label: string): number {
  return createHash('sha256').update(`${seed}:${label}`).digest().readUInt32BE(0);
}

/** Kills per matrix: 30 (the issue's floor), or VH_KILLS_N (larger runs; smaller only to debug the test). */
export function killCount(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.VH_KILLS_N;
  if (raw === undefined || raw === '') return 30;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`VH_KILLS_N must be a positive whole number, not "${raw}"`);
  return Number(raw);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface KilledRun {
  /** false: the process ended on its own before the kill time. */
  killed: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From spawn to exit. */
  elapsedMs: number;
  out: string;
  stderr: string;
}

/**
 * Spawns `vh-secrets <args>` and SIGKILLs it `killAtMs` after the spawn (the experiment's clock, not a wait for
 * anything). `killAtMs = Infinity` runs it to the end: the clean runs that measure the baseline.
 */
export function runKilledAt(args: string[], env: NodeJS.ProcessEnv, killAtMs: number, limitMs = 120_000): Promise<KilledRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const started = performance.now();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let killed = false;
    const kill = Number.isFinite(killAtMs)
      ? setTimeout(() => {
          killed = child.kill('SIGKILL');
        }, Math.max(0, killAtMs))
      : undefined;
    // A run that never ends is itself a finding; this bound only keeps the suite from hanging on it.
    const limit = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(kill);
      clearTimeout(limit);
      resolve({
        killed: killed && signal === 'SIGKILL',
        code,
        signal,
        elapsedMs: performance.now() - started,
        out: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

export interface JournalFile {
  file: string;
  id: string;
  secret: string;
  phase: Phase | null;
  status: string;
  pending_version: string | null;
  from_version: string | null;
}

/** Every rotation journal in a VH_SECRETS_HOME (`<home>/vh/journal`). */
export async function journals(home: string): Promise<JournalFile[]> {
  const dir = join(home, 'vh', 'journal');
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const out: JournalFile[] = [];
  for (const n of names.filter((x) => x.endsWith('.json'))) {
    const text = await fs.readFile(join(dir, n), 'utf8').catch(() => '');
    try {
      out.push({ file: n, ...(JSON.parse(text) as Omit<JournalFile, 'file'>) });
    } catch {
      out.push({ file: n, id: '?', secret: '?', phase: null, status: 'unreadable', pending_version: null, from_version: null });
    }
  }
  return out;
}

/**
 * The last phase the killed run recorded for `secret`: the later of its journal's phase and the last phase in
 * the audit events it appended (`events` are the audit lines written since it was spawned). `none` when it died
 * before its first journal write.
 */
export function lastRecordedPhase(secret: string, journal: JournalFile | undefined, events: AuditLine[]): Phase | 'none' {
  let at = journal && journal.secret === secret && journal.phase ? PHASES.indexOf(journal.phase) : -1;
  for (const e of events) {
    if (e.secret !== secret || typeof e.details?.rotation_id !== 'string') continue;
    const p = PHASES.indexOf(e.details.phase as Phase);
    if (p > at) at = p;
  }
  return at < 0 ? 'none' : PHASES[at]!;
}

/** `{none: 3, prepare: 1, …}` in phase order, `finished` last (runs that ended before their kill time). */
export function formatPhases(counts: Map<string, number>): string {
  const order = ['none', ...PHASES, 'finished'];
  const keys = [...counts.keys()].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return `{${keys.map((k) => `${k}: ${counts.get(k)}`).join(', ')}}`;
}

/**
 * A new current version is legal only if a rotation promoted it from the version current before (`c0`) after
 * its verify phase passed: no value that was never verified is current, and none became current by accident
 * before a resumed rotation replaced it.
 */
export function promotionFindings(log: AuditLine[], secret: string, c0: string, version: string | undefined): string[] {
  const mine = log.filter((e) => e.secret === secret);
  const rotated = mine.filter((e) => e.event === 'rotated' && e.details.version === version);
  if (rotated.length === 0) return [`version ${version} is current but no \`rotated\` event promoted it`];
  const r = rotated[rotated.length - 1]!;
  const found: string[] = [];
  if (r.details.from_version !== c0) found.push(`version ${version} was promoted from version ${String(r.details.from_version)}, not from ${c0} (current before the kill): an unverified version was taken as current`);
  const verified = mine.slice(0, mine.indexOf(r)).some((e) => e.details.rotation_id === r.details.rotation_id && e.details.phase === 'verify' && e.success);
  if (!verified) found.push(`version ${version} was promoted by ${String(r.details.rotation_id)} with no verify phase in the audit log before it`);
  return found;
}

/** A fresh secret whose first rotation was SIGKILLed right after generate (the engine's own failpoint). */
export interface KilledAfterGenerate {
  home: string;
  env: NodeJS.ProcessEnv;
  name: string;
  ref: string;
  /** The current version and value before the rotation. */
  c0: string;
  v0: Buffer;
  /** The rotation's journal: phase `generate`, in progress, nothing staged. */
  journal: JournalFile;
  /** A value for the test to write where the provider's next write would have put it. */
  staged: string;
  direct: SecretStore;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * The start of every deterministic stage-window test: a fresh `database_password` secret, its rotation killed at
 * `after:generate`, its journal checked. The test then makes the store write the provider would have made next.
 */
export async function killedAfterGenerate(store: StoreUnderTest, label: string): Promise<KilledAfterGenerate> {
  const home = tempHome(`vh-kills-${label}-`);
  const env = await store.env(home);
  const name = uniqueName(`kill-${label}`);
  const ref = `${store.alias}:${name}`;
  const created = await run(['create', name, '--type', 'database_password', '--generate'], { env });
  if (created.code !== 0) throw new Error(`create ${name} exited ${created.code}: ${created.stderr}`);
  const direct = await store.open();
  const c0 = (await direct.describe(name)).currentVersion!;
  const v0 = (await direct.get(name)).value;
  const crashed = await run(['rotate', name, '--yes'], { env: { ...env, VH_SECRETS_FAILPOINT: 'after:generate' } });
  if (crashed.signal !== 'SIGKILL') throw new Error(`the rotation was not killed at after:generate (exit ${crashed.code}): ${crashed.stderr}`);
  const journal = (await journals(home)).find((j) => j.secret === ref);
  if (!journal || journal.phase !== 'generate' || journal.status !== 'in_progress' || journal.pending_version !== null) {
    throw new Error(`unexpected journal after the kill: ${JSON.stringify(journal)}`);
  }
  const staged = Array.from({ length: 40 }, () => ALNUM[randomInt(ALNUM.length)]).join('');
  return { home, env, name, ref, c0, v0, journal, staged, direct };
}
