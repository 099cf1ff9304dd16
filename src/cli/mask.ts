import { Transform, type TransformCallback } from 'node:stream';

export const CONCEALED = '<concealed by vh-secrets>';
/** Shorter values are not masked: they would mask ordinary output ("1", "ok") and hide little. */
export const MIN_MASKED = 4;

/**
 * A stream filter that replaces every occurrence of the given values with CONCEALED, also when a value arrives
 * split across writes: the end of what came in is held back as long as it could be the start of a value.
 * Works on bytes (latin1), so any encoding of the output is left as it is.
 */
export class MaskStream extends Transform {
  private readonly values: string[];
  private carry = '';

  constructor(values: Iterable<Buffer | string>) {
    super();
    const set = new Set<string>();
    for (const v of values) {
      const s = typeof v === 'string' ? Buffer.from(v, 'utf8').toString('latin1') : v.toString('latin1');
      if (s.length >= MIN_MASKED) set.add(s);
    }
    // Longest first, so a value that contains another is concealed whole.
    this.values = [...set].sort((a, b) => b.length - a.length);
  }

  private replace(text: string): string {
    let out = text;
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join(CONCEALED);
    return out;
  }

  /** How much of the end of `text` could be the beginning of a value. */
  private held(text: string): number {
    let hold = 0;
    for (const v of this.values) {
      for (let k = Math.min(v.length - 1, text.length); k > hold; k--) {
        if (text.endsWith(v.slice(0, k))) {
          hold = k;
          break;
        }
      }
    }
    return hold;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.values.length === 0) return done(null, chunk);
    const text = this.carry + chunk.toString('latin1');
    // Replace whole values first; what may still begin one waits for the next write.
    const hold = this.held(text);
    const ready = text.slice(0, text.length - hold);
    this.carry = text.slice(text.length - hold);
    // A value may straddle `ready` and the carry only if the carry is a proper prefix of it, which `held` keeps
    // whole: so `ready` can be replaced on its own.
    done(null, Buffer.from(this.replace(ready), 'latin1'));
  }

  override _flush(done: TransformCallback): void {
    done(null, Buffer.from(this.replace(this.carry), 'latin1'));
  }
}
