import { createServer, request, Agent, type IncomingHttpHeaders } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { connect as h2connect, createServer as createH2Server, constants as h2, type Http2Server } from 'node:http2';
import { startGrpcFaultProxy, startHttpFaultProxy, startTcpFaultProxy, type HttpFaultProxy } from '../helpers/fault-proxy.js';

/**
 * The fault proxy itself, against a tiny upstream whose every request is counted: each fault does what the matrix
 * relies on (whether the upstream saw the request, what the client got), keep-alive and chunked bodies pass, and
 * the proxy stops by itself.
 */

let upstream: Server;
let upstreamUrl: string;
const received: { method: string; url: string; body: string }[] = [];

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, body: Buffer.concat(chunks).toString() });
      if (req.url === '/empty') {
        res.writeHead(204);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, echo: Buffer.concat(chunks).toString(), pad: 'x'.repeat(200) }));
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => upstream.close(() => r()));
});

interface Got {
  status?: number;
  headers?: IncomingHttpHeaders;
  body?: string;
  error?: string;
}

/** One request through `agent` (keep-alive by default), with an optional chunked body and client timeout. */
function call(proxy: HttpFaultProxy, method: string, path: string, opts: { body?: string; chunked?: boolean; timeoutMs?: number; agent?: Agent; headers?: Record<string, string> } = {}): Promise<Got> {
  return new Promise((resolve) => {
    const req = request(`${proxy.url}${path}`, { method, agent: opts.agent, headers: opts.headers, timeout: opts.timeoutMs ?? 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
      res.on('aborted', () => resolve({ error: 'aborted' }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
    if (opts.body !== undefined) {
      if (opts.chunked) {
        req.setHeader('transfer-encoding', 'chunked');
        const half = Math.floor(opts.body.length / 2);
        req.write(opts.body.slice(0, half));
        req.end(opts.body.slice(half));
      } else req.end(opts.body);
    } else req.end();
  });
}

async function seen(path: string, before: number): Promise<number> {
  return received.slice(before).filter((r) => r.url === path).length;
}

describe('http fault proxy', () => {
  let proxy: HttpFaultProxy;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  beforeEach(async () => {
    proxy = await startHttpFaultProxy({ upstream: upstreamUrl, lifetimeMs: 30_000 });
  });
  afterEach(async () => {
    await proxy.close();
  });
  afterAll(() => agent.destroy());

  test('forwards keep-alive requests with Content-Length and chunked bodies, and logs them', async () => {
    const a = await call(proxy, 'POST', '/a', { body: 'hello', agent });
    const b = await call(proxy, 'PUT', '/b', { body: 'chunked-body-here', chunked: true, agent, headers: { 'x-amz-target': 'svc.Op' } });
    const c = await call(proxy, 'GET', '/c', { agent });
    expect(JSON.parse(a.body!).echo).toBe('hello');
    expect(JSON.parse(b.body!).echo).toBe('chunked-body-here');
    expect(c.status).toBe(200);
    expect(proxy.log.map((r) => [r.method, r.path, r.amzTarget, r.outcome, r.forwarded])).toEqual([
      ['POST', '/a', undefined, 200, true],
      ['PUT', '/b', 'svc.Op', 200, true],
      ['GET', '/c', undefined, 200, true],
    ]);
  });

  test('drop-response: the upstream gets it, the client gets no answer; only the chosen occurrence', async () => {
    const n = received.length;
    proxy.arm({ match: (r) => r.method === 'POST' && r.path === '/w', occurrence: 2, fault: { kind: 'drop-response' } });
    expect((await call(proxy, 'POST', '/w', { body: '1', agent })).status).toBe(200);
    const lost = await call(proxy, 'POST', '/w', { body: '2', agent });
    expect(lost.error).toMatch(/ECONNRESET|socket hang up/);
    expect((await call(proxy, 'POST', '/w', { body: '3', agent })).status).toBe(200);
    expect(await seen('/w', n)).toBe(3);
    expect(proxy.fired()).toBe(1);
    expect(proxy.log.map((r) => r.outcome)).toEqual([200, 'dropped', 200]);
  });

  test('delay: held past the client timeout (client gives up, upstream committed); a patient client gets it late', async () => {
    const n = received.length;
    proxy.arm({ match: (r) => r.path === '/slow', times: 2, fault: { kind: 'delay', ms: 1500 } });
    const impatient = await call(proxy, 'POST', '/slow', { body: 'x', timeoutMs: 300 });
    expect(impatient.error).toBe('TIMEOUT');
    const patient = await call(proxy, 'POST', '/slow', { body: 'y', timeoutMs: 5000 });
    expect(patient.status).toBe(200);
    expect(await seen('/slow', n)).toBe(2);
    const deadline = Date.now() + 5000;
    while (proxy.log[0]!.outcome === 'pending' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(proxy.log.map((r) => r.outcome)).toEqual(['gone', 'late']);
  });

  test('reset-mid-body: the client sees a cut answer (also when the answer has no body)', async () => {
    const n = received.length;
    proxy.arm({ match: () => true, times: 2, fault: { kind: 'reset-mid-body' } });
    const cut = await call(proxy, 'POST', '/r', { body: 'x' });
    expect(cut.error).toMatch(/ECONNRESET|aborted|socket hang up/);
    const cutEmpty = await call(proxy, 'PATCH', '/empty', { body: 'x' });
    expect(cutEmpty.error).toMatch(/ECONNRESET|aborted|socket hang up/);
    expect(await seen('/r', n)).toBe(1);
    expect(await seen('/empty', n)).toBe(1);
  });

  test('status: answered at once, never forwarded, in the peer dialect', async () => {
    const n = received.length;
    proxy.arm({ match: () => true, times: 3, fault: { kind: 'status', status: 429 } });
    const r = await call(proxy, 'POST', '/s', { body: 'x' });
    expect(r.status).toBe(429);
    expect(JSON.parse(r.body!).errors[0]).toMatch(/injected/);
    expect(await seen('/s', n)).toBe(0);
    expect(proxy.log[0]!.forwarded).toBe(false);
  });

  test('reset-before: the connection is reset once the request is in, never forwarded', async () => {
    const n = received.length;
    proxy.arm({ match: () => true, fault: { kind: 'reset-before' } });
    const r = await call(proxy, 'POST', '/rb', { body: 'x' });
    expect(r.error).toMatch(/ECONNRESET|socket hang up/);
    expect(await seen('/rb', n)).toBe(0);
    expect(proxy.log.at(-1)).toMatchObject({ forwarded: false, outcome: 'reset', fault: 'reset-before' });
  });

  test('commit-then-500: forwarded (the upstream commits), the client gets 500', async () => {
    const n = received.length;
    proxy.arm({ match: () => true, fault: { kind: 'commit-then-500' } });
    expect((await call(proxy, 'POST', '/c', { body: 'x' })).status).toBe(500);
    expect(await seen('/c', n)).toBe(1);
  });

  test('stops by itself after its lifetime', async () => {
    const short = await startHttpFaultProxy({ upstream: upstreamUrl, lifetimeMs: 200 });
    const deadline = Date.now() + 5000;
    let refused = false;
    while (!refused && Date.now() < deadline) {
      refused = await new Promise<boolean>((resolve) => {
        const s = connect(short.port, '127.0.0.1');
        s.once('connect', () => {
          s.destroy();
          resolve(false);
        });
        s.once('error', () => resolve(true));
      });
      if (!refused) await new Promise((r) => setTimeout(r, 50));
    }
    expect(refused).toBe(true);
  });
});

describe('tcp fault proxy', () => {
  let echo: Server;
  let port: number;
  let writes: string[];
  beforeAll(async () => {
    writes = [];
    echo = createTcpServer((s: Socket) => {
      s.on('data', (d: Buffer) => {
        writes.push(d.toString());
        s.write(`ok:${d.toString()}`);
      });
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    port = (echo.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => echo.close(() => r()));
  });

  /** Writes each message on one connection, waiting for each reply; resolves with replies and how it ended. */
  function talk(proxyPort: number, messages: string[]): Promise<{ replies: string[]; end: string }> {
    return new Promise((resolve) => {
      const replies: string[] = [];
      const s = connect(proxyPort, '127.0.0.1');
      let i = 0;
      const next = () => (i < messages.length ? s.write(messages[i++]!) : s.end());
      s.on('connect', next);
      s.on('data', (d: Buffer) => {
        replies.push(d.toString());
        next();
      });
      s.on('error', (e: NodeJS.ErrnoException) => resolve({ replies, end: e.code ?? 'error' }));
      s.on('close', () => resolve({ replies, end: 'closed' }));
    });
  }

  test.each([
    ['drop-reply', 'closed', true],
    ['reset-after', 'ECONNRESET', true],
    ['reset-before', 'ECONNRESET', false],
  ] as const)('%s at the 2nd write carrying the pattern', async (fault, end, forwarded) => {
    const proxy = await startTcpFaultProxy({ upstreamPort: port, lifetimeMs: 30_000 });
    try {
      proxy.arm({ pattern: 'ALTER', occurrence: 2, fault });
      const n = writes.length;
      const r = await talk(proxy.port, ['SELECT 1', 'ALTER a', 'SELECT 2', 'ALTER b', 'SELECT 3']);
      expect(r.replies).toEqual(['ok:SELECT 1', 'ok:ALTER a', 'ok:SELECT 2']);
      expect(r.end).toBe(end);
      const deadline = Date.now() + 2000;
      while (forwarded && !writes.slice(n).includes('ALTER b') && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
      expect(writes.slice(n).includes('ALTER b')).toBe(forwarded);
      expect(proxy.fired()).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  test('connection: the Nth connection is reset at its first write', async () => {
    const proxy = await startTcpFaultProxy({ upstreamPort: port, lifetimeMs: 30_000 });
    try {
      proxy.arm({ connection: 2, fault: 'reset-before' });
      expect((await talk(proxy.port, ['hi'])).replies).toEqual(['ok:hi']);
      expect((await talk(proxy.port, ['hi'])).end).toBe('ECONNRESET');
      expect((await talk(proxy.port, ['hi'])).replies).toEqual(['ok:hi']);
    } finally {
      await proxy.close();
    }
  });
});

describe('grpc fault proxy', () => {
  let h2server: Http2Server;
  let h2port: number;
  const calls: string[] = [];
  beforeAll(async () => {
    h2server = createH2Server();
    h2server.on('stream', (stream, headers) => {
      const path = String(headers[':path']);
      stream.on('data', () => undefined);
      stream.on('end', () => {
        calls.push(path);
        if (path.endsWith('/Missing')) {
          stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'not found' }, { endStream: true });
          return;
        }
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(Buffer.alloc(64, 1));
      });
    });
    await new Promise<void>((r) => h2server.listen(0, '127.0.0.1', r));
    h2port = (h2server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => h2server.close(() => r()));
  });

  /** One unary call: the gRPC status (from trailers, or trailers-only headers), or how the connection failed. */
  function grpcCall(proxy: HttpFaultProxy, method: string, cancelAfterMs?: number): Promise<{ status?: string; bytes?: number; error?: string }> {
    return new Promise((resolve) => {
      const session = h2connect(`http://${proxy.url}`);
      session.on('error', () => undefined);
      const done = (r: { status?: string; bytes?: number; error?: string }) => {
        session.destroy();
        resolve(r);
      };
      const req = session.request({ ':method': 'POST', ':path': `/svc.Test/${method}`, 'content-type': 'application/grpc', te: 'trailers' });
      let status: string | undefined;
      let bytes = 0;
      req.on('response', (h) => (status = h['grpc-status'] as string | undefined));
      req.on('trailers', (t) => (status = t['grpc-status'] as string | undefined));
      req.on('data', (c: Buffer) => (bytes += c.length));
      req.on('end', () => done(status === undefined ? { error: 'no status' } : { status, bytes }));
      req.on('error', (e: NodeJS.ErrnoException) => done({ error: e.code ?? e.message }));
      req.on('close', () => done(status === undefined ? { error: `closed (rst ${req.rstCode})` } : { status, bytes }));
      if (cancelAfterMs !== undefined) setTimeout(() => req.close(h2.NGHTTP2_CANCEL), cancelAfterMs);
      req.end(Buffer.alloc(16, 2));
    });
  }

  let proxy: HttpFaultProxy;
  beforeEach(async () => {
    proxy = await startGrpcFaultProxy({ upstream: `127.0.0.1:${h2port}`, lifetimeMs: 30_000 });
  });
  afterEach(async () => {
    await proxy.close();
  });

  test('forwards calls, trailers and trailers-only answers', async () => {
    expect(await grpcCall(proxy, 'Get')).toEqual({ status: '0', bytes: 64 });
    expect(await grpcCall(proxy, 'Missing')).toEqual({ status: '5', bytes: 0 });
    expect(proxy.log.map((r) => [r.path, r.outcome])).toEqual([
      ['/svc.Test/Get', 200],
      ['/svc.Test/Missing', 200],
    ]);
  });

  test('status faults answer the gRPC status they stand for, unforwarded; commit-then-500 forwards', async () => {
    const n = calls.length;
    proxy.arm({ match: (r) => r.path.endsWith('/Add'), fault: { kind: 'status', status: 503 } });
    expect(await grpcCall(proxy, 'Add')).toEqual({ status: '14', bytes: 0 });
    expect(calls.length).toBe(n);
    proxy.arm({ match: (r) => r.path.endsWith('/Add'), fault: { kind: 'commit-then-500' } });
    expect(await grpcCall(proxy, 'Add')).toEqual({ status: '13', bytes: 0 });
    expect(calls.slice(n)).toEqual(['/svc.Test/Add']);
  });

  test('drop-response and reset-mid-body: forwarded, the client loses its connection', async () => {
    for (const kind of ['drop-response', 'reset-mid-body'] as const) {
      const n = calls.length;
      proxy.arm({ match: () => true, fault: { kind } });
      const r = await grpcCall(proxy, 'Update');
      expect(r.status).toBeUndefined();
      expect(calls.slice(n)).toEqual(['/svc.Test/Update']);
    }
  });

  test('delay: a client that gives up is gone when the answer is ready', async () => {
    proxy.arm({ match: () => true, fault: { kind: 'delay', ms: 800 } });
    expect((await grpcCall(proxy, 'Update', 200)).status).toBeUndefined();
    const deadline = Date.now() + 5000;
    while (proxy.log[0]!.outcome === 'pending' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(proxy.log[0]!.outcome).toBe('gone');
  });
});
