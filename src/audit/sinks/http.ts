import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { VhError } from '../../base/errors.js';
import { serializeEvent, type AuditEvent } from '../event.js';
import { describeNetworkError } from '../../base/net.js';
import { redactor } from './net-errors.js';
import type { HttpSinkConfig, RemoteSink } from './types.js';

const MAX_ERROR_BODY = 200;

/**
 * POSTs NDJSON batches (`application/x-ndjson`, each line exactly as in the local log) to a collector — the
 * shape Vector's `http_server` source and Fluent Bit's `http` input take. A batch is accepted when the
 * collector answers 2xx; any other status, a network error or a timeout leaves it spooled.
 * TLS verification is always on; `caFile` adds a private CA. Header values never reach an error message.
 */
export function createHttpSink(config: HttpSinkConfig): RemoteSink {
  const url = new URL(config.url);
  const secure = url.protocol === 'https:';
  const redact = redactor(Object.values(config.headers));
  let ca: Buffer | undefined;
  let agent: http.Agent | undefined;

  const getAgent = (): http.Agent => {
    if (agent) return agent;
    if (secure) {
      if (config.caFile !== undefined && ca === undefined) {
        try {
          ca = readFileSync(config.caFile);
        } catch (err) {
          throw new VhError('CONFIG', `cannot read ca_file ${config.caFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { details: { sink: config.name } });
        }
      }
      agent = new https.Agent({ keepAlive: true, maxSockets: 1, ...(ca ? { ca } : {}), rejectUnauthorized: true });
    } else {
      agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    }
    return agent;
  };

  return {
    name: config.name,
    send(events: AuditEvent[], signal: AbortSignal): Promise<void> {
      const body = Buffer.from(events.map(serializeEvent).join(''), 'utf8');
      return new Promise<void>((resolve, reject) => {
        if (signal.aborted) {
          reject(abortError(signal));
          return;
        }
        let settled = false;
        const finish = (err?: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          if (err === undefined) resolve();
          else reject(err instanceof VhError ? new VhError(err.code, redact(err.message), { details: err.details }) : new VhError('NETWORK', redact(describeNetworkError(err)), { details: { sink: config.name } }));
        };
        let req: http.ClientRequest;
        try {
          const transport = secure ? https : http;
          req = transport.request(url, {
            method: 'POST',
            agent: getAgent(),
            headers: {
              ...config.headers,
              'content-type': 'application/x-ndjson',
              'content-length': String(body.length),
            },
          });
        } catch (err) {
          finish(err);
          return;
        }
        const timer = setTimeout(() => {
          req.destroy(new VhError('TIMEOUT', `no response within ${config.timeoutMs} ms`, { details: { sink: config.name } }));
        }, config.timeoutMs);
        const onAbort = () => req.destroy(abortError(signal));
        signal.addEventListener('abort', onAbort, { once: true });
        req.on('error', finish);
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (b: Buffer) => {
            if (size < MAX_ERROR_BODY) chunks.push(b);
            size += b.length;
          });
          res.on('error', finish);
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              finish();
              return;
            }
            const text = Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_BODY).replace(/\s+/g, ' ').trim();
            const code = status === 401 || status === 403 ? 'AUTH_FAILED' : status === 429 || status === 503 ? 'THROTTLED' : 'INVALID_FORMAT';
            finish(new VhError(code, `HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}${text ? `: ${text}` : ''}`, { details: { sink: config.name, status } }));
          });
        });
        req.end(body);
      });
    },
    async close(): Promise<void> {
      agent?.destroy();
      agent = undefined;
    },
  };
}

function abortError(signal: AbortSignal): VhError {
  const reason: unknown = signal.reason;
  if (reason instanceof VhError) return reason;
  return new VhError('TIMEOUT', 'delivery cut off at the flush deadline');
}
