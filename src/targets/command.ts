import { VhError } from '../base/errors.js';
import { runHook } from '../base/hook.js';
import { TargetOptions } from './options.js';
import type { Credential, RotationTarget, TargetContext, TargetFactory } from '../core/target.js';

/**
 * An operator's own executables. The value goes to the hook on stdin, never in argv or the environment (both
 * are visible to other users through /proc); the environment carries only what is safe to show: the secret's
 * name, the phase and the target. Exit 0 means done; anything else, or the timeout, fails the phase. Hooks must
 * be idempotent: a rotation resumed after a crash runs its phase again.
 */

type Phase = 'apply' | 'verify' | 'rollback' | 'cleanup' | 'in_use';

class CommandTarget implements RotationTarget {
  readonly kind = 'command';
  readonly alternating = false;
  private readonly commands: Partial<Record<Phase, string[]>>;
  private readonly timeoutMs: number;

  constructor(
    options: Record<string, unknown>,
    private readonly context: TargetContext,
  ) {
    const o = new TargetOptions(options, context.name);
    const apply = o.argv('apply');
    if (!apply) throw new VhError('CONFIG', `targets.${context.name}.apply: is required (the command that applies a new value)`);
    this.commands = { apply, verify: o.argv('verify'), rollback: o.argv('rollback'), cleanup: o.argv('cleanup'), in_use: o.argv('in_use') };
    this.timeoutMs = o.int('timeout_ms', 30_000, 100, 3_600_000);
    o.done();
  }

  get name(): string {
    return this.context.name;
  }

  /** Runs the phase's hook (see runHook); resolves with what it printed on stdout when `keepStdout`. */
  private run(phase: Phase, stdin: Buffer, secrets: readonly string[], extraEnv: Record<string, string> = {}, keepStdout = false): Promise<string> {
    const argv = this.commands[phase];
    if (!argv) return Promise.resolve('');
    return runHook(argv, {
      stdin,
      env: { VH_SECRET: this.context.secret, VH_TARGET: this.name, VH_TARGET_PHASE: phase, ...extraEnv },
      timeoutMs: this.timeoutMs,
      where: `target ${this.name} (command ${phase}: ${argv[0]})`,
      secrets,
      keepStdout,
    });
  }

  nextUser(current: Credential): string | undefined {
    return current.username;
  }

  async apply(current: Credential, next: Credential): Promise<void> {
    await this.run('apply', next.value, [current.password, next.password]);
  }

  async verify(next: Credential): Promise<void> {
    await this.run('verify', next.value, [next.password]);
  }

  /** Gets the value to restore on stdin. */
  async rollback(current: Credential, next: Credential): Promise<void> {
    await this.run('rollback', current.value, [current.password, next.password]);
  }

  /** Gets the previous value (the one to retire) on stdin. */
  async cleanup(previous: Credential, current: Credential): Promise<void> {
    await this.run('cleanup', previous.value, [previous.password, current.password]);
  }

  /**
   * The `in_use` hook gets the previous value on stdin and `VH_SUPERSEDED_AT` (ISO time) in its environment, and
   * prints how many sessions still use that value (a whole number). Without the hook the target cannot tell.
   */
  async inUse(previous: Credential, current: Credential, since: Date): Promise<number | undefined> {
    if (!this.commands.in_use) return undefined;
    const out = (await this.run('in_use', previous.value, [previous.password, current.password], { VH_SUPERSEDED_AT: since.toISOString() }, true)).trim();
    // What it printed is never echoed: a hook that printed the value by mistake must not put it in an error.
    if (!/^\d{1,9}$/.test(out)) throw new VhError('INTERNAL', `target ${this.name} (command in_use: ${this.commands.in_use[0]}): printed something other than a count of sessions`);
    return Number(out);
  }

  async close(): Promise<void> {}
}

const factory: TargetFactory = (options, context) => new CommandTarget(options, context);
export default factory;
