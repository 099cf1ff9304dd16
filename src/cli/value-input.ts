import { promises as fs } from 'node:fs';
import { VhError, fromSystemError } from '../base/errors.js';
import type { ValueSource } from '../core/secrets.js';
import type { Io } from './io.js';
import { secretInput } from './prompt.js';

/** Values are read through stdin, a file or a generator; never argv. Cap reads so a runaway pipe fails fast. */
const MAX_INPUT_BYTES = 64 * 1024 * 1024;

async function readStream(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > MAX_INPUT_BYTES) throw new VhError('INVALID_FORMAT', `the value on stdin is larger than ${MAX_INPUT_BYTES} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export async function readValueSource(io: Io, opts: { generate?: boolean; valueFile?: string }): Promise<ValueSource> {
  if (opts.generate && opts.valueFile !== undefined) {
    throw new VhError('USAGE', '--generate and --value-file cannot be used together');
  }
  if (opts.generate) return { kind: 'generate' };
  if (opts.valueFile === '-') return { kind: 'bytes', value: await readStream(io.streams.stdin) };
  if (opts.valueFile !== undefined) {
    try {
      const st = await fs.stat(opts.valueFile);
      if (st.size > MAX_INPUT_BYTES) throw new VhError('INVALID_FORMAT', `${opts.valueFile} is larger than ${MAX_INPUT_BYTES} bytes`);
      return { kind: 'bytes', value: await fs.readFile(opts.valueFile) };
    } catch (err) {
      if (err instanceof VhError) throw err;
      throw fromSystemError(err, 'cannot read --value-file', opts.valueFile);
    }
  }
  if (!io.streams.stdin.isTTY) return { kind: 'bytes', value: await readStream(io.streams.stdin) };
  if (!io.interactive) {
    throw new VhError('USAGE', 'no value given', { hint: 'pipe the value on stdin, or use --value-file FILE or --generate' });
  }
  const first = await secretInput(io, 'Secret value:');
  const second = await secretInput(io, 'Repeat the value:');
  if (first !== second) throw new VhError('USAGE', 'the two values do not match; nothing was created');
  return { kind: 'bytes', value: Buffer.from(first, 'utf8') };
}
