/**
 * A stand-in log collector run as its own process (so a test can kill -9 it and start it again on the same
 * port). It takes what Vector's `http_server` source takes: POSTed NDJSON. Each accepted body is appended to
 * `out` with a synchronous write before the 200 goes back, so what it acknowledged survives its death.
 * Options arrive as JSON in COLLECTOR_OPTS; it prints `LISTENING <port>` once it listens.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

interface Options {
  port: number;
  out: string;
  /** One JSON line of request headers per request. */
  headersOut?: string;
  /** ok: answer 200; blackhole: accept the connection, never answer; fail: answer 503. */
  mode: 'ok' | 'blackhole' | 'fail';
  tls?: { cert: string; key: string };
  /**
   * Die by SIGKILL right after storing the body that brings the total to this many events, before answering:
   * the worst moment, when the sender cannot know the batch arrived.
   */
  killAfterStoring?: number;
}

let stored = 0;

const opts = JSON.parse(process.env.COLLECTOR_OPTS ?? '{}') as Options;

const handler: http.RequestListener = (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (b: Buffer) => chunks.push(b));
  req.on('end', () => {
    if (opts.mode === 'blackhole') return;
    if (opts.headersOut) appendFileSync(opts.headersOut, `${JSON.stringify({ method: req.method, url: req.url, headers: req.headers })}\n`);
    if (opts.mode === 'fail') {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('collector unavailable\n');
      return;
    }
    if (req.method !== 'POST' || req.headers['content-type'] !== 'application/x-ndjson') {
      res.writeHead(415).end();
      return;
    }
    const body = Buffer.concat(chunks);
    appendFileSync(opts.out, body);
    stored += body.toString('utf8').split('\n').filter((l) => l !== '').length;
    if (opts.killAfterStoring !== undefined && stored >= opts.killAfterStoring) process.kill(process.pid, 'SIGKILL');
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}\n');
  });
};

const server = opts.tls ? https.createServer({ cert: readFileSync(opts.tls.cert), key: readFileSync(opts.tls.key) }, handler) : http.createServer(handler);
server.listen(opts.port, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
