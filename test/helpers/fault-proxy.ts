import { STATUS_CODES, createServer as createHttpServer, request as httpRequest, Agent, type IncomingMessage, type ServerResponse, type IncomingHttpHeaders } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { createServer as createTcpServer, connect, type Server, type Socket } from 'node:net';

/**
 * Fault-injecting proxies for the wire between vh-secrets and its peers (test code only).
 *
 * All listen on 127.0.0.1 only, on a port the kernel picks, and stop by themselves after `lifetimeMs` (default
 * 3 min); past `maxRequests` requests / `maxConnections` connections they refuse. Nothing is held longer than the
 * lifetime (timers are unref'd), so a test that forgets to close one cannot keep the suite alive.
 *
 * - `startHttpFaultProxy` speaks HTTP/1.1 (Node's parser: keep-alive, Content-Length and chunked bodies), optionally
 *   terminating TLS with the peer's own certificate; logs every request it sees (method, path, AWS `X-Amz-Target`
 *   or query-protocol `Action`, what the client got) and applies one armed fault to the requests a rule selects: a predicate on method / path /
 *   target and an occurrence number among the matching requests.
 * - `startGrpcFaultProxy` does the same for a gRPC peer over cleartext HTTP/2 (one stream per call).
 * - `startTcpFaultProxy` relays bytes for the PostgreSQL / MariaDB / Redis targets and, at the Nth client→server
 *   write containing a byte pattern (or the Nth connection's first write), forwards it and then loses the reply
 *   (FIN or RST), or resets before forwarding.
 */

export type HttpFault =
  /** Forward; when the upstream has answered, close the client's socket without a byte of it ("response lost"). */
  | { kind: 'drop-response' }
  /** Forward; hold the answer `ms` (past the client's timeout), then send it if the client is still there. */
  | { kind: 'delay'; ms: number }
  /** Forward; send the status line, headers and part of the body, then reset the connection (RST). */
  | { kind: 'reset-mid-body' }
  /** Answer `status` at once, without forwarding (the upstream never sees the request). */
  | { kind: 'status'; status: 403 | 429 | 500 | 503 }
  /** Reset the connection (RST) once the request is in, without forwarding it ("refused": the upstream never sees it). */
  | { kind: 'reset-before' }
  /** Forward (the upstream commits), then answer 500 instead of the upstream's answer. */
  | { kind: 'commit-then-500' };

export function faultName(f: HttpFault): string {
  switch (f.kind) {
    case 'delay':
      return 'delay';
    case 'status':
      return `answer-${f.status}`;
    default:
      return f.kind;
  }
}

export interface SeenRequest {
  seq: number;
  method: string;
  path: string;
  /** AWS JSON protocol operation (`secretsmanager.PutSecretValue`), when present. */
  amzTarget: string | undefined;
  /** The AWS service a SigV4-signed request is for (`iam`, `sts`: its credential scope), when signed. */
  service: string | undefined;
  /** AWS query protocol operation (IAM, STS: `Action=CreateAccessKey` in the form body), when present. */
  action: string | undefined;
  /** What the client got: the status, or `dropped` / `reset` / `late` (sent after a delay) / `gone` (client left). */
  outcome: number | 'dropped' | 'reset' | 'late' | 'gone' | 'pending';
  /** Whether the upstream received the request. */
  forwarded: boolean;
  /** The fault applied to this request, if any. */
  fault: string | undefined;
}

export interface HttpRule {
  /** Which requests count (judged once the request's body is in). */
  match: (r: { method: string; path: string; amzTarget: string | undefined; service: string | undefined; action: string | undefined }) => boolean;
  /** The n-th matching request (1-based) gets the fault. @default 1 */
  occurrence?: number;
  /** Consecutive matching requests from the n-th on that get it. @default 1 */
  times?: number;
  fault: HttpFault;
}

/** The rule armed on an HTTP or gRPC proxy, and its counts: which matching request gets the fault. */
class HttpRuleSlot {
  private rule: HttpRule | undefined;
  private matched = 0;
  private count = 0;

  arm(rule: HttpRule): void {
    this.rule = rule;
    this.matched = 0;
    this.count = 0;
  }

  disarm(): void {
    this.rule = undefined;
  }

  fired(): number {
    return this.count;
  }

  /** The fault for this request, when the armed rule selects it (and noted on its log entry). */
  pick(entry: SeenRequest): HttpFault | undefined {
    const rule = this.rule;
    if (!rule?.match({ method: entry.method, path: entry.path, amzTarget: entry.amzTarget, service: entry.service, action: entry.action })) return undefined;
    this.matched++;
    const first = rule.occurrence ?? 1;
    if (this.matched < first || this.matched >= first + (rule.times ?? 1)) return undefined;
    this.count++;
    entry.fault = faultName(rule.fault);
    return rule.fault;
  }
}

export interface HttpFaultProxy {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Every request seen since start (or the last `clearLog`). */
  readonly log: SeenRequest[];
  /** Arms one rule (replacing any armed one); its fault fires on the requests it selects. */
  arm(rule: HttpRule): void;
  /** Forward everything untouched from now on. */
  disarm(): void;
  /** How many requests the armed (or last armed) rule has faulted. */
  fired(): number;
  clearLog(): void;
  close(): Promise<void>;
}

export interface HttpFaultProxyOptions {
  /** `http://host:port` or `https://host:port` of the real peer. */
  upstream: string;
  /** CA of an `https` upstream's certificate. */
  upstreamCa?: string | Buffer;
  /** Terminate TLS with this certificate (the peer's own, so that clients trusting the peer trust the proxy). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** @default 180000 */
  lifetimeMs?: number;
  /** @default 5000 */
  maxRequests?: number;
  /** Body of an injected error answer, in the peer's own dialect so the client maps it as it would a real one. */
  errorBody?: (status: number) => ErrorAnswer;
}

/** An injected error answer. */
export interface ErrorAnswer {
  contentType: string;
  body: string;
  headers?: Record<string, string>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade', 'te', 'trailer', 'content-length']);

function amzTargetOf(h: IncomingHttpHeaders): string | undefined {
  const v = h['x-amz-target'];
  return Array.isArray(v) ? v[0] : v;
}

/** `Credential=<key id>/<date>/<region>/<service>/aws4_request` in a SigV4 Authorization header. */
function serviceOf(h: IncomingHttpHeaders): string | undefined {
  return /Credential=[^/,]+\/\d{8}\/[^/,]+\/([^/,]+)\/aws4_request/.exec(h.authorization ?? '')?.[1];
}

/** `Action` of an AWS query-protocol request (a form-encoded body). */
function actionOf(h: IncomingHttpHeaders, body: Buffer): string | undefined {
  if (!/^application\/x-www-form-urlencoded/.test(h['content-type'] ?? '')) return undefined;
  return new URLSearchParams(body.toString('utf8')).get('Action') ?? undefined;
}

/** A Vault-style error body (`{"errors": [...]}`); AWS-style bodies come from `awsErrorBody`. */
export const vaultErrorBody = (status: number): ErrorAnswer => ({ contentType: 'application/json', body: JSON.stringify({ errors: [`injected fault: ${status}`] }) });

/** An Azure REST error (`{"error": {"code", "message"}}`). */
export const azureErrorBody = (status: number): ErrorAnswer => ({
  contentType: 'application/json',
  body: JSON.stringify({ error: { code: status === 429 ? 'Throttled' : status === 503 ? 'ServiceUnavailable' : 'InternalServerError', message: `injected fault: ${status}` } }),
});

/**
 * An AWS query-protocol (IAM, STS) error; 403 is `InvalidClientTokenId`, what STS answers for an access key it does
 * not (yet) know.
 */
export const awsQueryErrorBody = (status: number): ErrorAnswer => {
  const code = status === 403 ? 'InvalidClientTokenId' : status === 429 ? 'Throttling' : status === 503 ? 'ServiceUnavailable' : 'ServiceFailure';
  const message = status === 403 ? 'The security token included in the request is invalid.' : `injected fault: ${status}`;
  return {
    contentType: 'text/xml',
    body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`,
  };
};

/** An AWS JSON-protocol error: `__type` names the exception the SDK raises. */
export const awsErrorBody = (status: number): ErrorAnswer => {
  const type = status === 429 ? 'ThrottlingException' : status === 503 ? 'ServiceUnavailable' : 'InternalServiceError';
  return { contentType: 'application/x-amz-json-1.1', body: JSON.stringify({ __type: type, message: `injected fault: ${status}` }), headers: { 'x-amzn-errortype': type } };
};

export async function startHttpFaultProxy(options: HttpFaultProxyOptions): Promise<HttpFaultProxy> {
  const upstream = new URL(options.upstream);
  const lifetimeMs = options.lifetimeMs ?? 180_000;
  const maxRequests = options.maxRequests ?? 5000;
  const errorBody = options.errorBody ?? vaultErrorBody;
  const secure = upstream.protocol === 'https:';
  const agent = secure ? new HttpsAgent({ keepAlive: true, maxSockets: 16, ...(options.upstreamCa ? { ca: options.upstreamCa } : {}) }) : new Agent({ keepAlive: true, maxSockets: 16 });
  const send = secure ? httpsRequest : httpRequest;
  const log: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const slot = new HttpRuleSlot();
  let seq = 0;
  let closed = false;

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    t.unref();
    timers.add(t);
  };

  /** Sends the request upstream; resolves with the whole answer (answers here are small). */
  const forward = (req: IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const headers = { ...req.headers };
      for (const h of Object.keys(headers)) if (HOP_BY_HOP.has(h)) delete headers[h];
      headers['content-length'] = String(body.length);
      const up = send(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent, timeout: lifetimeMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      up.on('error', reject);
      up.on('timeout', () => up.destroy(new Error('upstream timeout')));
      up.end(body);
    });

  const reply = (res: ServerResponse, a: { status: number; headers: IncomingHttpHeaders; body: Buffer }) => {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(a.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    headers['content-length'] = String(a.body.length);
    res.writeHead(a.status, headers);
    res.end(a.body);
  };

  const injected = (status: number) => {
    const e = errorBody(status);
    return { status, headers: { 'content-type': e.contentType, ...(e.headers ?? {}) } as IncomingHttpHeaders, body: Buffer.from(e.body) };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, entry: SeenRequest, fault: HttpFault | undefined, body: Buffer) => {
    const socket = req.socket;
    if (fault?.kind === 'status') {
      reply(res, injected(fault.status));
      entry.outcome = fault.status;
      return;
    }
    if (fault?.kind === 'reset-before') {
      reset(socket);
      entry.outcome = 'reset';
      return;
    }
    let answer: Awaited<ReturnType<typeof forward>>;
    try {
      entry.forwarded = true;
      answer = await forward(req, body);
    } catch {
      reply(res, injected(502));
      entry.outcome = 502;
      return;
    }
    switch (fault?.kind) {
      case undefined:
        reply(res, answer);
        entry.outcome = answer.status;
        return;
      case 'drop-response':
        socket.destroy();
        entry.outcome = 'dropped';
        return;
      case 'commit-then-500':
        reply(res, injected(500));
        entry.outcome = 500;
        return;
      case 'reset-mid-body': {
        // Written raw, so that the cut falls inside the body when there is one and inside the headers when the
        // answer has none (a 204), and the client always holds an answer it knows to be incomplete.
        const lines = [`HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ''}`];
        for (const [k, v] of Object.entries(answer.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) for (const one of [v].flat()) lines.push(`${k}: ${one}`);
        lines.push(`content-length: ${answer.body.length}`, 'connection: keep-alive', '', '');
        const raw = Buffer.concat([Buffer.from(lines.join('\r\n')), answer.body]);
        socket.write(raw.subarray(0, Math.floor(raw.length / 2)), () => reset(socket));
        entry.outcome = 'reset';
        return;
      }
      case 'delay': {
        let gone = false;
        socket.once('close', () => (gone = true));
        entry.outcome = 'pending';
        later(Math.min(fault.ms, lifetimeMs), () => {
          if (gone || socket.destroyed) {
            entry.outcome = 'gone';
            return;
          }
          reply(res, answer);
          entry.outcome = 'late';
        });
        return;
      }
    }
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const entry: SeenRequest = {
      seq: ++seq,
      method: req.method ?? '?',
      path: req.url ?? '/',
      amzTarget: amzTargetOf(req.headers),
      service: serviceOf(req.headers),
      action: undefined,
      outcome: 'pending',
      forwarded: false,
      fault: undefined,
    };
    log.push(entry);
    if (seq > maxRequests) {
      req.socket.destroy();
      entry.outcome = 'dropped';
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      entry.action = actionOf(req.headers, body);
      const fault = slot.pick(entry);
      handle(req, res, entry, fault, body).catch(() => req.socket.destroy());
    });
    req.on('error', () => req.socket.destroy());
  };
  const server = options.tls ? createHttpsServer({ ...options.tls, keepAlive: true }, onRequest) : createHttpServer({ keepAlive: true }, onRequest);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (_err, s) => s.destroy());

  const port = await listen(server);
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const t of timers) clearTimeout(t);
    for (const s of sockets) s.destroy();
    agent.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
  const stopTimer = setTimeout(() => void close(), lifetimeMs);
  stopTimer.unref();

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    log,
    arm: (r) => slot.arm(r),
    disarm: () => slot.disarm(),
    fired: () => slot.fired(),
    clearLog() {
      log.length = 0;
    },
    close: async () => {
      clearTimeout(stopTimer);
      await close();
    },
  };
}

/** RST, also under TLS (where the TCP handle is the wrapped socket's). */
function reset(socket: Socket): void {
  const parent = (socket as Socket & { _parent?: Socket | null })._parent;
  try {
    (parent ?? socket).resetAndDestroy();
  } catch {
    (parent ?? socket).destroy();
  }
  socket.destroy();
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// TCP

export type TcpFault =
  /** Forward the write; when the server's reply arrives, discard it and close the client's socket (FIN). */
  | 'drop-reply'
  /** Forward the write; when the server's reply arrives, discard it and reset the client's socket (RST). */
  | 'reset-after'
  /** Do not forward the write; reset the client's socket (the server never sees it). */
  | 'reset-before'
  /**
   * Forward the write; from then on relay nothing either way and keep the connection open: a server that stopped
   * answering mid-session (frozen, failing over). The client ends it; the server then sees it closed.
   */
  | 'hang';

/**
 * Which client write gets the fault: the n-th (1-based, across connections) containing `pattern`, or the first
 * write of the n-th connection (`connection`; counts connections, for a login such as verify's).
 */
export type TcpRule =
  | {
      /** Bytes that mark the write, e.g. `ALTER ROLE`, `ALTER USER`, `SETUSER`. */
      pattern: string;
      /** @default 1 */
      occurrence?: number;
      fault: TcpFault;
    }
  | { connection: number; fault: TcpFault };

export interface TcpFaultProxy {
  host: string;
  port: number;
  /** One line per connection and per client write matching a watched pattern (never the bytes themselves). */
  readonly log: { conn: number; event: 'connect' | 'match' | 'fault'; pattern?: string; fault?: TcpFault }[];
  arm(rule: TcpRule): void;
  disarm(): void;
  fired(): number;
  /** Logs client writes containing any of `patterns` (a clean run's log is how a test finds the writes to fault). */
  watch(...patterns: string[]): void;
  clearLog(): void;
  close(): Promise<void>;
}

export async function startTcpFaultProxy(options: { upstreamHost?: string; upstreamPort: number; lifetimeMs?: number; maxConnections?: number }): Promise<TcpFaultProxy> {
  const lifetimeMs = options.lifetimeMs ?? 180_000;
  const maxConnections = options.maxConnections ?? 2000;
  const log: TcpFaultProxy['log'] = [];
  const sockets = new Set<Socket>();
  const watched = new Set<string>();
  let rule: TcpRule | undefined;
  let matched = 0;
  let fired = 0;
  let conns = 0;
  /** Connections counted by a `connection` rule are those opened after it was armed. */
  let armedAt = 0;
  let closed = false;

  const server = createTcpServer((client) => {
    const conn = ++conns;
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    if (conn > maxConnections) {
      reset(client);
      return;
    }
    log.push({ conn, event: 'connect' });
    const server = connect({ host: options.upstreamHost ?? '127.0.0.1', port: options.upstreamPort });
    sockets.add(server);
    server.on('close', () => sockets.delete(server));
    /** Set once a fault fired on this connection: what to do with the server's next bytes. */
    let onReply: TcpFault | undefined;
    let firstWrite = true;
    const endBoth = (how: 'fin' | 'rst') => {
      if (how === 'rst') reset(client);
      else client.destroy();
      server.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (onReply) return;
      for (const p of watched) if (chunk.includes(p)) log.push({ conn, event: 'match', pattern: p });
      const isFirst = firstWrite;
      firstWrite = false;
      const hit = rule && ('connection' in rule ? isFirst && conn - armedAt === rule.connection : chunk.includes(rule.pattern) && ++matched === (rule.occurrence ?? 1));
      if (rule && hit) {
        {
          fired++;
          log.push({ conn, event: 'fault', ...('pattern' in rule ? { pattern: rule.pattern } : {}), fault: rule.fault });
          if (rule.fault === 'reset-before') {
            endBoth('rst');
            return;
          }
          onReply = rule.fault;
        }
      }
      server.write(chunk);
    });
    server.on('data', (chunk: Buffer) => {
      if (onReply === 'hang') return;
      if (onReply) {
        // The server has answered the faulted write: it is committed (or refused) there; the client never hears.
        endBoth(onReply === 'reset-after' ? 'rst' : 'fin');
        return;
      }
      client.write(chunk);
    });
    client.on('end', () => server.end());
    server.on('end', () => client.end());
    client.on('error', () => server.destroy());
    server.on('error', () => client.destroy());
  });
  const port = await listen(server);
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
  const stopTimer = setTimeout(() => void close(), lifetimeMs);
  stopTimer.unref();
  return {
    host: '127.0.0.1',
    port,
    log,
    arm(r) {
      rule = r;
      matched = 0;
      fired = 0;
      armedAt = conns;
    },
    disarm() {
      rule = undefined;
    },
    fired: () => fired,
    watch(...patterns) {
      for (const p of patterns) watched.add(p);
    },
    clearLog() {
      log.length = 0;
    },
    close: async () => {
      clearTimeout(stopTimer);
      await close();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// gRPC (HTTP/2, cleartext)

/** What an HTTP status fault means in gRPC: 429 → RESOURCE_EXHAUSTED, 500 → INTERNAL, 503 → UNAVAILABLE. */
const GRPC_STATUS: Record<number, number> = { 429: 8, 500: 13, 503: 14 };

/**
 * The same faults for a gRPC peer (the GCP Secret Manager double): each call is one HTTP/2 stream whose path is
 * the method (`/google.cloud.secretmanager.v1.SecretManagerService/AddSecretVersion`, logged as `path`). A status
 * fault is a trailers-only answer with the gRPC status the HTTP one stands for; "response lost" and "reset" drop
 * the client's connection (a lost connection is what a gRPC client sees of a lost answer).
 */
export async function startGrpcFaultProxy(options: { upstream: string; lifetimeMs?: number; maxRequests?: number }): Promise<HttpFaultProxy> {
  const http2 = await import('node:http2');
  const lifetimeMs = options.lifetimeMs ?? 180_000;
  const maxRequests = options.maxRequests ?? 5000;
  const log: SeenRequest[] = [];
  const rawSockets = new Map<number, Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const slot = new HttpRuleSlot();
  let seq = 0;
  let closed = false;
  let upstream: import('node:http2').ClientHttp2Session | undefined;
  const up = () => {
    if (!upstream || upstream.closed || upstream.destroyed) {
      upstream = http2.connect(`http://${options.upstream}`);
      upstream.on('error', () => undefined);
    }
    return upstream;
  };

  const server = http2.createServer();
  server.on('connection', (s: Socket) => {
    rawSockets.set(s.remotePort ?? 0, s);
    s.on('close', () => rawSockets.delete(s.remotePort ?? 0));
  });
  const rawOf = (stream: import('node:http2').ServerHttp2Stream) => rawSockets.get(stream.session?.socket?.remotePort ?? -1);

  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    const entry: SeenRequest = { seq: ++seq, method: String(headers[':method']), path: String(headers[':path']), amzTarget: undefined, service: undefined, action: undefined, outcome: 'pending', forwarded: false, fault: undefined };
    log.push(entry);
    if (seq > maxRequests) {
      stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      entry.outcome = 'dropped';
      return;
    }
    const fault = slot.pick(entry);
    const answerStatus = (code: number) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(code), 'grpc-message': `injected fault ${code}` }, { endStream: true });
    };
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      if (fault?.kind === 'status') {
        answerStatus(GRPC_STATUS[fault.status]!);
        entry.outcome = fault.status;
        return;
      }
      if (fault?.kind === 'reset-before') {
        const raw = rawOf(stream);
        if (raw) reset(raw);
        entry.outcome = 'reset';
        return;
      }
      const forwardHeaders: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(headers)) if (v !== undefined && !(k.startsWith(':') && k !== ':method' && k !== ':path') && k !== 'connection') forwardHeaders[k] = v as string | string[];
      const req = up().request(forwardHeaders);
      entry.forwarded = true;
      let resHeaders: Record<string, unknown> = {};
      let trailers: Record<string, unknown> = {};
      const body: Buffer[] = [];
      req.on('response', (h) => (resHeaders = { ...h }));
      req.on('trailers', (t) => (trailers = { ...t }));
      req.on('data', (c: Buffer) => body.push(c));
      req.on('error', () => {
        if (!stream.closed) answerStatus(14);
        entry.outcome = 502;
      });
      req.on('end', () => {
        const data = Buffer.concat(body);
        const send = () => {
          if (stream.closed || stream.destroyed) {
            entry.outcome = 'gone';
            return false;
          }
          const h: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(resHeaders)) if (!k.startsWith(':') || k === ':status') h[k] = v;
          const t: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(trailers)) if (!k.startsWith(':')) t[k] = v;
          if (Object.keys(t).length === 0 && data.length === 0) {
            // Trailers-only (how a gRPC server answers an error): the status is in these headers, and they end it.
            stream.respond(h as import('node:http2').OutgoingHttpHeaders, { endStream: true });
            return true;
          }
          stream.respond(h as import('node:http2').OutgoingHttpHeaders, { waitForTrailers: true });
          stream.on('wantTrailers', () => stream.sendTrailers(t as import('node:http2').OutgoingHttpHeaders));
          stream.end(data);
          return true;
        };
        switch (fault?.kind) {
          case undefined:
            send();
            entry.outcome = Number(resHeaders[':status'] ?? 200);
            return;
          case 'drop-response':
            rawOf(stream)?.destroy();
            entry.outcome = 'dropped';
            return;
          case 'commit-then-500':
            answerStatus(GRPC_STATUS[500]!);
            entry.outcome = 500;
            return;
          case 'reset-mid-body': {
            const h: Record<string, unknown> = {};
            for (const [k, v] of Object.entries(resHeaders)) if (!k.startsWith(':') || k === ':status') h[k] = v;
            stream.respond(h as import('node:http2').OutgoingHttpHeaders);
            stream.write(data.subarray(0, Math.floor(data.length / 2)), () => {
              const raw = rawOf(stream);
              if (raw) reset(raw);
            });
            entry.outcome = 'reset';
            return;
          }
          case 'delay': {
            entry.outcome = 'pending';
            const t = setTimeout(() => {
              timers.delete(t);
              if (send()) entry.outcome = 'late';
            }, Math.min(fault.ms, lifetimeMs));
            t.unref();
            timers.add(t);
            return;
          }
        }
      });
      req.end(Buffer.concat(chunks));
    });
  });

  const port = await listen(server as unknown as Server);
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const t of timers) clearTimeout(t);
    for (const s of rawSockets.values()) s.destroy();
    upstream?.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
  const stopTimer = setTimeout(() => void close(), lifetimeMs);
  stopTimer.unref();
  return {
    url: `127.0.0.1:${port}`,
    port,
    log,
    arm: (r) => slot.arm(r),
    disarm: () => slot.disarm(),
    fired: () => slot.fired(),
    clearLog() {
      log.length = 0;
    },
    close: async () => {
      clearTimeout(stopTimer);
      await close();
    },
  };
}
