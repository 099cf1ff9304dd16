import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { request } from 'node:http';
import { BIN, NODE, ROOT, run, waitFor } from './cli.js';

/** A `vh-secrets exporter` child on an ephemeral loopback port, its stderr collected. */
export interface ExporterProcess {
  child: ChildProcessWithoutNullStreams;
  /** `http://127.0.0.1:PORT` as the exporter printed it. */
  base: string;
  stderr(): string;
  stdout(): string;
  /** Sends `signal` and resolves with the exit code (null when a signal ended it) and signal. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startExporter(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<ExporterProcess> {
  const child = spawn(NODE, [BIN, 'exporter', '--listen', '127.0.0.1:0', ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end();
  let err = '';
  let out = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
  child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let ended = false;
  void exited.then(() => (ended = true));
  const listening = /listening on (http:\/\/127\.0\.0\.1:\d+)/;
  await waitFor(() => listening.test(err) || ended, timeoutMs, 'the exporter to listen', () => err);
  const m = listening.exec(err);
  if (!m) throw new Error(`the exporter ended before listening:\n${err}`);
  return {
    child,
    base: m[1]!,
    stderr: () => err,
    stdout: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (!ended) child.kill(signal);
      return exited;
    },
  };
}

export interface Scraped {
  status: number;
  type: string;
  body: string;
}

/** One GET over a fresh connection (no keep-alive), with a deadline. */
export function scrape(url: string, timeoutMs = 60_000): Promise<Scraped> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs}ms`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * What the exporter serves for a home with one secret, created and read (so get and create have series): the
 * `/metrics` body, once. The check every recipe's metric names are held to.
 */
export async function servedMetrics(env: NodeJS.ProcessEnv): Promise<string> {
  for (const args of [['create', 'app/one', '--type', 'api_key', '--generate'], ['get', 'app/one']]) {
    const r = await run(args, { env });
    if (r.code !== 0) throw new Error(`vh-secrets ${args[0]} exited ${r.code}: ${r.stderr}`);
  }
  const ex = await startExporter(['--interval', '1h'], env);
  try {
    return (await scrape(`${ex.base}/metrics`)).body;
  } finally {
    const end = await ex.stop();
    if (end.code !== 0) throw new Error(`the exporter exited ${end.code} (${end.signal}) on SIGTERM:\n${ex.stderr()}`);
  }
}
