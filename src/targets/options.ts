import { VhError } from '../base/errors.js';

/** Reading a `[targets.<name>]` table: each accessor names the field and the target in its error. */
export class TargetOptions {
  private readonly seen = new Set<string>(['kind', 'secrets', 'admin', 'admin_user']);

  constructor(
    private readonly raw: Record<string, unknown>,
    private readonly target: string,
  ) {}

  private fail(key: string, what: string): never {
    throw new VhError('CONFIG', `targets.${this.target}.${key}: ${what}`);
  }

  string(key: string): string | undefined;
  string(key: string, fallback: string): string;
  string(key: string, fallback?: string): string | undefined {
    this.seen.add(key);
    const v = this.raw[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || v === '') this.fail(key, 'must be a non-empty string');
    return v;
  }

  required(key: string): string {
    const v = this.string(key);
    if (v === undefined) this.fail(key, 'is required');
    return v;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const v = this.string(key, fallback);
    if (!(allowed as readonly string[]).includes(v)) this.fail(key, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
    return v as T;
  }

  int(key: string, fallback: number, min: number, max: number): number {
    this.seen.add(key);
    const v = this.raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.fail(key, `must be a whole number from ${min} to ${max}`);
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    this.seen.add(key);
    const v = this.raw[key] ?? fallback;
    if (typeof v !== 'boolean') this.fail(key, 'must be true or false');
    return v;
  }

  /** A command line as an array of strings (never a shell string). */
  argv(key: string): string[] | undefined {
    this.seen.add(key);
    const v = this.raw[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length === 0 || !v.every((s) => typeof s === 'string' && s !== '')) {
      this.fail(key, 'must be a non-empty array of strings, e.g. ["/usr/local/bin/apply-password", "--db", "app"]');
    }
    return v as string[];
  }

  /** A list of non-empty strings (file paths, patterns). */
  strings(key: string): string[] | undefined {
    this.seen.add(key);
    const v = this.raw[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length === 0 || !v.every((s) => typeof s === 'string' && s !== '')) this.fail(key, 'must be a non-empty array of strings');
    return v as string[];
  }

  /** Call last: a misspelt field is an error, not a silently ignored setting. */
  done(): void {
    for (const key of Object.keys(this.raw)) {
      if (!this.seen.has(key)) this.fail(key, `unknown setting (known: ${[...this.seen].sort().join(', ')})`);
    }
  }
}
