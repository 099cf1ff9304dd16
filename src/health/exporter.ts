import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { VhError, isVhError } from '../base/errors.js';
import type { HealthStatus } from './evaluate.js';

/**
 * A scrapeable exporter over the health evaluation: `/metrics` serves the exposition of the last evaluation,
 * refreshed every interval in the background (never two evaluations at once: a refresh that finds one in flight
 * joins it), and `/healthz` says whether the last completed evaluation is fresher than three intervals.
 * Nothing here prints: the caller gets one `log` line per evaluation and prints it. Never a secret value — the
 * exposition is the health metrics (names only with --metrics-names), the log lines counts and codes.
 */

export const DEFAULT_EXPORTER_PORT = 9469;
export const DEFAULT_EXPORTER_INTERVAL_MS = 60_000;
/** `/healthz` turns 503 when the last completed evaluation is older than this many intervals. */
export const STALE_INTERVALS = 3;

export interface Listen {
  host: string;
  port: number;
}

/** `HOST:PORT`, `[V6]:PORT`, or a bare `PORT` (127.0.0.1). Throws USAGE otherwise. */
export function parseListen(text: string): Listen {
  const bad = (why: string) => new VhError('USAGE', `--listen: "${text}" ${why}`, { hint: 'use HOST:PORT, e.g. 127.0.0.1:9469 or [::1]:9469 (port 0: any free port)' });
  const t = text.trim();
  const m = /^(?:\[([^\]]+)\]:|([^:[\]]+):)?(\d{1,5})$/.exec(t);
  if (!m) throw bad('is not HOST:PORT');
  const port = Number(m[3]);
  if (port > 65_535) throw bad('has a port outside 0-65535');
  if (m[1] !== undefined) {
    if (isIP(m[1]) !== 6) throw bad('has a bracketed host that is not an IPv6 address');
    return { host: m[1], port };
  }
  const host = m[2] ?? '127.0.0.1';
  if (isIP(host) === 0 && !/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(host)) throw bad('has a host that is neither an address nor a host name');
  return { host, port };
}

/** Loopback only: 127.0.0.0/8, ::1 (also IPv4-mapped), `localhost`. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

export interface Evaluation {
  /** Prometheus text exposition. */
  text: string;
  status: HealthStatus;
  secrets: number;
  /** Secrets by status. */
  counts: Record<HealthStatus, number>;
  stores: number;
  storesDown: number;
}

export interface ExporterOptions {
  listen: Listen;
  intervalMs: number;
  evaluate: () => Promise<Evaluation>;
  /** One line per evaluation (and per failed one); counts and codes only. */
  log: (line: string) => void;
  /** Milliseconds since an arbitrary origin (tests may pass their own clock). */
  clock?: () => number;
}

interface Cached {
  text: string;
  /** When the evaluation that made it finished, on `clock` and as wall time. */
  at: number;
  wall: number;
  durationMs: number;
}

export class MetricsExporter {
  private server: Server | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private cached: Cached | undefined;
  private evaluations = 0;
  private failures = 0;
  private stopped = false;
  private readonly clock: () => number;

  constructor(private readonly opts: ExporterOptions) {
    this.clock = opts.clock ?? (() => performance.now());
  }

  /** Binds, starts the first evaluation, and from then on one every interval. Resolves with the bound address. */
  async start(): Promise<Listen> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        const why = err.code === 'EADDRINUSE' ? 'the address is in use' : err.code === 'EADDRNOTAVAIL' ? 'no such local address' : err.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)' : err.message;
        reject(new VhError(err.code === 'EACCES' ? 'PERMISSION_DENIED' : 'NETWORK', `cannot listen on ${this.opts.listen.host}:${this.opts.listen.port}: ${why}`, { hint: 'choose another --listen address or port' }));
      });
      server.listen(this.opts.listen.port, this.opts.listen.host, () => resolve());
    });
    const addr = server.address() as AddressInfo;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.opts.intervalMs);
    return { host: addr.address, port: addr.port };
  }

  /** Stops serving and evaluating; an evaluation in flight is not waited for. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Starts an evaluation unless one is in flight, in which case it is the one waited for. */
  refresh(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.inFlight ??= this.evaluateOnce().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async evaluateOnce(): Promise<void> {
    const n = ++this.evaluations;
    const t0 = this.clock();
    try {
      const e = await this.opts.evaluate();
      const durationMs = this.clock() - t0;
      this.cached = { text: e.text, at: this.clock(), wall: Date.now(), durationMs };
      const c = e.counts;
      this.opts.log(
        `evaluation ${n}: ${e.status} in ${seconds(durationMs)} — ${e.secrets} secret${e.secrets === 1 ? '' : 's'} (${c.CRITICAL} critical, ${c.WARNING} warning, ${c.UNKNOWN} unknown, ${c.OK} ok), ${e.stores} store${e.stores === 1 ? '' : 's'}${e.storesDown > 0 ? ` (${e.storesDown} not OK)` : ''}`,
      );
    } catch (err) {
      this.failures++;
      const code = isVhError(err) ? err.code : 'INTERNAL';
      const message = (err instanceof Error ? err.message : String(err)).replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 300);
      this.opts.log(`evaluation ${n} failed after ${seconds(this.clock() - t0)}: ${message} (${code}); ${this.cached ? `still serving evaluation of ${new Date(this.cached.wall).toISOString()}` : 'nothing to serve yet'}`);
    }
  }

  /** Fresh: the last completed evaluation finished less than STALE_INTERVALS intervals ago. */
  fresh(): boolean {
    return this.cached !== undefined && this.clock() - this.cached.at < STALE_INTERVALS * this.opts.intervalMs;
  }

  private selfMetrics(): string {
    const c = this.cached;
    const lines = [
      '# HELP voicehive_secrets_exporter_evaluations_total Health evaluations started by this exporter process.',
      '# TYPE voicehive_secrets_exporter_evaluations_total counter',
      `voicehive_secrets_exporter_evaluations_total ${this.evaluations}`,
      '# HELP voicehive_secrets_exporter_evaluation_failures_total Health evaluations of this exporter process that failed (the previous metrics stay served).',
      '# TYPE voicehive_secrets_exporter_evaluation_failures_total counter',
      `voicehive_secrets_exporter_evaluation_failures_total ${this.failures}`,
      '# HELP voicehive_secrets_exporter_evaluations_in_flight Health evaluations running now (0 or 1).',
      '# TYPE voicehive_secrets_exporter_evaluations_in_flight gauge',
      `voicehive_secrets_exporter_evaluations_in_flight ${this.inFlight ? 1 : 0}`,
      '# HELP voicehive_secrets_exporter_interval_seconds How often the exporter evaluates.',
      '# TYPE voicehive_secrets_exporter_interval_seconds gauge',
      `voicehive_secrets_exporter_interval_seconds ${this.opts.intervalMs / 1000}`,
    ];
    if (c) {
      lines.push(
        '# HELP voicehive_secrets_exporter_last_evaluation_timestamp_seconds When the evaluation served here finished (Unix time).',
        '# TYPE voicehive_secrets_exporter_last_evaluation_timestamp_seconds gauge',
        `voicehive_secrets_exporter_last_evaluation_timestamp_seconds ${c.wall / 1000}`,
        '# HELP voicehive_secrets_exporter_last_evaluation_duration_seconds How long the evaluation served here took.',
        '# TYPE voicehive_secrets_exporter_last_evaluation_duration_seconds gauge',
        `voicehive_secrets_exporter_last_evaluation_duration_seconds ${Math.round(c.durationMs) / 1000}`,
      );
    }
    return `${lines.join('\n')}\n`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      if (res.writableEnded) return;
      res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      send(405, 'method not allowed\n');
      return;
    }
    if (path === '/healthz') {
      if (this.fresh()) send(200, `ok: last evaluation ${new Date(this.cached!.wall).toISOString()}\n`);
      else send(503, this.cached ? `stale: last evaluation ${new Date(this.cached.wall).toISOString()}, older than ${STALE_INTERVALS} intervals\n` : 'no evaluation has completed yet\n');
      return;
    }
    if (path === '/metrics') {
      // Before the first evaluation has finished, a scrape waits for it (it never starts another).
      if (!this.cached && this.inFlight) await this.inFlight;
      if (!this.cached) {
        send(503, 'no evaluation has completed yet\n');
        return;
      }
      send(200, this.cached.text + this.selfMetrics(), 'text/plain; version=0.0.4; charset=utf-8');
      return;
    }
    if (path === '/') {
      send(200, 'vh-secrets exporter: /metrics, /healthz\n');
      return;
    }
    send(404, 'not found: /metrics, /healthz\n');
  }
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${Math.round(ms / 100) / 10}s`;
}
