import { promises as fs } from 'node:fs';
import { basename } from 'node:path';
import { formatDuration, parseDuration } from '../../base/deadline.js';
import { VhError, fromSystemError, isVhError } from '../../base/errors.js';
import { oneLine } from '../../base/text.js';
import { parseEnvFile, parseEnvFlag, resolveEnv, type EnvBinding, type InjectedEnv } from '../../core/inject.js';
import { VersionWatch, type VersionCheck } from '../../core/watch.js';
import { RunningChild, exitCodeOf, type ChildEnd } from '../child.js';
import type { CommandContext } from '../context.js';
import type { RunOptions } from './run.spec.js';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];
/** Forwarded like the others, and from then on nothing is restarted: the operator wants the command to end. */
const ENDING = new Set<NodeJS.Signals>(['SIGINT', 'SIGTERM', 'SIGQUIT']);

const DEFAULT_WATCH_INTERVAL = '30s';
const DEFAULT_RESTART_GRACE = '10s';
/** Below this a store is polled harder than any rotation schedule needs (and cloud stores start throttling). */
const MIN_WATCH_INTERVAL_MS = 100;
/**
 * How long a stopped child's output may keep draining before the next one starts: a process it left behind can
 * hold the pipe open for ever. What still comes through is masked all the same.
 */
const RESTART_DRAIN_MS = 2_000;

/**
 * `run [--env NAME=REF]… [--env-file F] [--mask|--no-mask] [--watch …] -- COMMAND [ARGS…]`: COMMAND with the
 * secrets in its environment. Values never pass through argv; signals are forwarded and the exit code is the
 * child's. With masking (the default when stdout or stderr is not a terminal) the child's output has every
 * injected value replaced, also when one is split across writes. With --watch, a new version of a referenced
 * secret restarts the command with the new values.
 */
export async function run(ctx: CommandContext, command: string[], opts: RunOptions): Promise<number> {
  const [file, ...args] = command;
  if (!file) throw new VhError('USAGE', 'run what? vh-secrets run --env NAME=REF -- COMMAND [ARGS…]');
  const timing = watchTiming(opts);
  const rt = await ctx.runtime();
  const bindings: EnvBinding[] = [];
  if (opts.envFile !== undefined) {
    let text: string;
    try {
      text = await fs.readFile(opts.envFile, 'utf8');
    } catch (err) {
      throw fromSystemError(err, 'cannot read --env-file', opts.envFile);
    }
    bindings.push(...parseEnvFile(text, new Set(rt.config.stores.keys()), opts.envFile));
  }
  // Flags after the file: a --env given on the command line wins.
  bindings.push(...opts.env.map(parseEnvFlag));
  if (bindings.length === 0) throw new VhError('USAGE', 'run needs --env NAME=REF or --env-file FILE', { hint: 'e.g. vh-secrets run --env DB_PASSWORD=app/db -- ./server' });
  const name = basename(file);
  const purpose = { purpose: 'run', command: name };
  let injected = await resolveEnv(rt, bindings, purpose);

  const { stdout, stderr } = ctx.io.streams;
  const masking = opts.mask ?? !(stdout.isTTY === true && stderr.isTTY === true);
  // Every value this run has injected: output still draining from a stopped child may hold an old one.
  const masked: Buffer[] = [...injected.secrets];
  const start = (values: InjectedEnv) =>
    new RunningChild({ file, args, env: { ...process.env, ...values.env }, mask: masking ? [...masked] : undefined, stdout, stderr });
  let child = start(injected);

  // This process only waits now: every stop signal goes to the child, which decides when to end.
  let stopping = false;
  for (const signal of FORWARDED) {
    process.removeAllListeners(signal);
    process.on(signal, () => {
      if (ENDING.has(signal)) stopping = true;
      child.signal(signal);
    });
  }

  let end: ChildEnd;
  const watch = timing ? new VersionWatch(rt, injected.read) : undefined;
  if (!timing || !watch || watch.refs.length === 0) {
    if (timing) ctx.io.note(`vh-secrets: --watch: nothing to watch (${watch?.pinned.length ? `pinned to a version: ${watch.pinned.join(', ')}` : 'no secret referenced'}); ${name} is not restarted`);
    end = await child.ended;
  } else {
    const pinned = watch.pinned.length ? `; pinned, not watched: ${watch.pinned.join(', ')}` : '';
    ctx.io.note(`vh-secrets: --watch: checking ${watch.refs.join(', ')} every ${formatDuration(timing.intervalMs)}${pinned}`);
    const trouble = new TroubleLine(ctx, name, timing.intervalMs);
    for (;;) {
      const tick = delay(timing.intervalMs);
      const early = await Promise.race([child.ended, tick.done.then(() => undefined)]);
      tick.cancel();
      if (early !== undefined) {
        end = early;
        break;
      }
      if (stopping) continue;
      // A check (metadata only) is abandoned when the child ends meanwhile; reads are waited for (audited).
      const checking = watch.check();
      const checked = await Promise.race([checking, child.ended.then(() => undefined)]);
      if (checked === undefined) continue;
      // A restart reads every secret again: while one cannot be checked, none is acted on.
      if (!trouble.checked(checked) || checked.changed.length === 0) continue;
      let fresh: InjectedEnv;
      try {
        fresh = await resolveEnv(rt, bindings, purpose);
      } catch (err) {
        trouble.warn(`cannot read the new version of ${checked.changed.map((c) => c.ref).join(', ')}: ${describeError(err)}`);
        continue;
      }
      trouble.ok();
      watch.accept(fresh.read);
      if (stopping || child.finished) continue;
      const what = checked.changed.map((c) => `${c.ref} (${c.to === undefined ? 'no version' : `version ${c.to}`})`).join(', ');
      if (sameEnv(injected.env, fresh.env)) {
        ctx.io.note(`vh-secrets: --watch: new version of ${what}, the same values: ${name} keeps running`);
        continue;
      }
      ctx.io.note(`vh-secrets: --watch: new version of ${what}: restarting ${name}`);
      const stopped = await child.stop(timing.graceMs, RESTART_DRAIN_MS);
      if (stopped.killed) ctx.io.note(`vh-secrets: --watch: ${name} was still running ${formatDuration(timing.graceMs)} after SIGTERM: killed`);
      if (stopping) {
        end = stopped.end ?? (await child.ended);
        break;
      }
      injected = fresh;
      masked.push(...fresh.secrets);
      child = start(injected);
    }
  }
  const result = exitCodeOf(end, name);
  if (result.message) ctx.io.err(result.message);
  return result.code;
}

function watchTiming(opts: RunOptions): { intervalMs: number; graceMs: number } | undefined {
  if (!opts.watch) {
    const stray = opts.watchInterval !== undefined ? '--watch-interval' : opts.restartGrace !== undefined ? '--restart-grace' : undefined;
    if (stray) throw new VhError('USAGE', `${stray} needs --watch`);
    return undefined;
  }
  const intervalMs = parseDuration(opts.watchInterval ?? DEFAULT_WATCH_INTERVAL, '--watch-interval');
  if (intervalMs < MIN_WATCH_INTERVAL_MS) throw new VhError('USAGE', `--watch-interval: at least ${MIN_WATCH_INTERVAL_MS}ms`);
  return { intervalMs, graceMs: parseDuration(opts.restartGrace ?? DEFAULT_RESTART_GRACE, '--restart-grace') };
}

/**
 * The one stderr line for a watch that cannot see the store (or read what changed): printed when the trouble
 * starts or changes, not at every check, and followed by one line when it is over. The child keeps running.
 */
class TroubleLine {
  private last: string | undefined;

  constructor(
    private readonly ctx: CommandContext,
    private readonly name: string,
    private readonly intervalMs: number,
  ) {}

  /** False when a secret could not be checked (and says so). */
  checked(check: VersionCheck): boolean {
    if (check.failed.length === 0) {
      if (check.changed.length === 0) this.ok();
      return true;
    }
    const first = check.failed[0]!;
    const more = check.failed.length > 1 ? ` (and ${check.failed.slice(1).map((f) => f.ref).join(', ')})` : '';
    this.warn(`cannot check ${first.ref}${more}: ${oneLine(first.message)} (${first.code})`);
    return false;
  }

  warn(text: string): void {
    if (text === this.last) return;
    this.last = text;
    this.ctx.io.err(`vh-secrets: warning: --watch: ${text}; ${this.name} keeps running, checking again every ${formatDuration(this.intervalMs)}`);
  }

  ok(): void {
    if (this.last === undefined) return;
    this.last = undefined;
    this.ctx.io.err('vh-secrets: --watch: checking works again');
  }
}

function describeError(err: unknown): string {
  if (isVhError(err)) return `${oneLine(err.message)} (${err.code})`;
  return oneLine(err instanceof Error ? err.message : String(err));
}

function sameEnv(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => b[k] === a[k]);
}

function delay(ms: number): { done: Promise<void>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return { done, cancel: () => clearTimeout(timer) };
}
