import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { filesUnder, type RunResult } from '../helpers/cli.js';

/**
 * The leak canary: every value a test hands to vh-secrets is a canary, and every byte the tool emitted —
 * stdout (except where a value is the requested output), stderr, audit log, any file it wrote — is searched for
 * each canary in plain, base64, base64url and hex form. Later features add their scenarios to the same harness.
 */
export function canary(label: string): string {
  return `CANARY${label.replace(/[^A-Za-z0-9]/g, '')}${randomBytes(12).toString('hex')}`;
}

export function encodings(value: string): string[] {
  const b = Buffer.from(value);
  return [...new Set([value, b.toString('base64'), b.toString('base64url'), b.toString('hex')].map((s) => s.replace(/=+$/, '')))];
}

/** Unkeyed digests of a value in the forms a file might hold them: what a keyed index must never contain. */
export function unkeyedHashes(value: string): string[] {
  return ['md5', 'sha1', 'sha256', 'sha512'].flatMap((alg) => {
    const d = createHash(alg).update(value).digest();
    return [d.toString('hex'), d.toString('base64').replace(/=+$/, ''), d.toString('base64url')];
  });
}

export class LeakLedger {
  readonly canaries = new Set<string>();
  private readonly outputs: { where: string; text: string }[] = [];

  add(value: string): string {
    this.canaries.add(value);
    return value;
  }

  /** Records a run; `valueOnStdout` marks a run whose stdout is allowed to carry a value (get). */
  record(label: string, result: RunResult, valueOnStdout = false): RunResult {
    this.outputs.push({ where: `${label} stderr`, text: result.stderr });
    if (!valueOnStdout) this.outputs.push({ where: `${label} stdout`, text: result.out });
    return result;
  }

  /** Records text seen elsewhere (process argv sampled while a command ran, say). */
  recordText(where: string, text: string): void {
    this.outputs.push({ where, text });
  }

  async recordFiles(dir: string, except: (path: string) => boolean): Promise<string[]> {
    const files = (await filesUnder(dir)).filter((f) => !except(f));
    for (const f of files) this.outputs.push({ where: f, text: (await fs.readFile(f)).toString('latin1') });
    return files;
  }

  /** Every place a canary (in any encoding) was found; empty means no leak. */
  leaks(): string[] {
    const found: string[] = [];
    for (const c of this.canaries) {
      for (const form of encodings(c)) {
        for (const o of this.outputs) if (o.text.includes(form)) found.push(`${o.where} contains a canary (${form.slice(0, 12)}…)`);
      }
    }
    return found;
  }
}

/**
 * What `ps` (and anyone reading /proc) could see while `work` runs: the argv and environment of every process
 * started meanwhile (the CLI and whatever it runs; the test runner's own environment is not the tool's),
 * sampled every few milliseconds. Record the returned text in a ledger to prove no value was there.
 */
export async function sampleProcesses<T>(work: () => Promise<T>, everyMs = 3, what: readonly ('cmdline' | 'environ')[] = ['cmdline', 'environ']): Promise<{ result: T; seen: string; samples: number }> {
  const before = new Set((await fs.readdir('/proc')).filter((p) => /^\d+$/.test(p)));
  const seen = new Set<string>();
  let done = false;
  let samples = 0;
  // Only this test's own processes count: descendants of the test runner. Other work on a busy machine (another
  // suite, a developer's shell holding the peers' admin password in its environment) is not the tool's output.
  const ours = new Map<string, boolean>([[String(process.pid), true]]);
  const parentOf = async (pid: string): Promise<string | undefined> => {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'latin1').catch(() => '');
    // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ")".
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
  };
  const descends = async (pid: string, depth = 0): Promise<boolean> => {
    const known = ours.get(pid);
    if (known !== undefined) return known;
    const parent = depth < 64 ? await parentOf(pid) : undefined;
    const result = parent !== undefined && parent !== '0' && (await descends(parent, depth + 1));
    ours.set(pid, result);
    return result;
  };
  const sampler = (async () => {
    while (!done) {
      samples++;
      for (const pid of await fs.readdir('/proc').catch(() => [] as string[])) {
        if (!/^\d+$/.test(pid) || before.has(pid) || !(await descends(pid))) continue;
        for (const file of what) {
          const text = await fs.readFile(`/proc/${pid}/${file}`, 'latin1').catch(() => '');
          if (text) seen.add(text.replace(/\0/g, ' '));
        }
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  try {
    const result = await work();
    return { result, seen: [...seen].join('\n'), samples };
  } finally {
    done = true;
    await sampler;
  }
}

/** One request through a recording proxy: what vh-secrets sent a service and what it answered. */
export interface Exchange {
  method: string;
  path: string;
  request: string;
  answer: string;
}

/**
 * An HTTP proxy in front of `upstream` that keeps every request and answer body: for values a service and
 * vh-secrets make between them that the test never sees otherwise (a transit verify probe and its ciphertext),
 * so that the test can make canaries of them afterwards.
 */
export async function startRecordingProxy(upstream: string): Promise<{ url: string; exchanges: Exchange[]; close: () => Promise<void> }> {
  const { createServer, request } = await import('node:http');
  const exchanges: Exchange[] = [];
  const target = new URL(upstream);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
      delete headers['accept-encoding'];
      const up = request({ hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers }, (answer) => {
        const back: Buffer[] = [];
        answer.on('data', (c: Buffer) => back.push(c));
        answer.on('end', () => {
          const text = Buffer.concat(back);
          exchanges.push({ method: req.method ?? '', path: req.url ?? '', request: body.toString('utf8'), answer: text.toString('utf8') });
          res.writeHead(answer.statusCode ?? 502, { ...answer.headers, 'content-length': String(text.length) });
          res.end(text);
        });
      });
      up.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      up.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
