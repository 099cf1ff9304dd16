import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { VhError } from '../../base/errors.js';
import { serializeEvent, type AuditEvent } from '../event.js';
import { describeNetworkError } from '../../base/net.js';
import type { RemoteSink, SyslogSinkConfig } from './types.js';

const SEVERITY_WARNING = 4;
const SEVERITY_INFO = 6;

/** A header field: printable US-ASCII without spaces, at most `max` characters, `-` (NILVALUE) when empty. */
function headerField(value: string | null | undefined, max: number): string {
  const clean = (value ?? '').replace(/[^!-~]/g, '_').slice(0, max);
  return clean === '' ? '-' : clean;
}

/**
 * One RFC 5424 message: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG`, with
 * PRI = facility × 8 + severity (informational for a success, warning for a failure), TIMESTAMP the event's
 * `ts`, HOSTNAME the host that recorded it, MSGID the event type and MSG the event JSON. Non-ASCII characters
 * are written as JSON `\uXXXX` escapes, so MSG is plain ASCII (no BOM needed) and still the same JSON value
 * whose canonical form the hash chain covers. PROCID is NILVALUE: the deliverer is not the process that acted.
 */
export function formatSyslogMessage(event: AuditEvent, facility: number, appName: string): string {
  const pri = facility * 8 + (event.success ? SEVERITY_INFO : SEVERITY_WARNING);
  const json = serializeEvent(event)
    .slice(0, -1)
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `<${pri}>1 ${headerField(event.ts, 64)} ${headerField(event.host, 255)} ${headerField(appName, 48)} - ${headerField(event.event, 32)} - ${json}`;
}

/** RFC 6587 octet-counting frame: `MSG-LEN SP SYSLOG-MSG`. */
export function octetCountedFrame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

/**
 * RFC 5424 syslog over TCP or TLS (octet-counted framing, RFC 6587) or UDP (one datagram per message).
 *
 * What "accepted" means, honestly:
 * - tcp / tls: every frame was written and flushed to the socket, and the receiver then closed the connection
 *   cleanly after our end-of-stream — it read up to our FIN. Syslog has no application-level acknowledgement,
 *   so a receiver that crashes after reading but before storing can still lose a batch.
 * - udp: every datagram was handed to the kernel. There is no delivery guarantee at all; a receiver that is down
 *   loses what is sent meanwhile (an ICMP port-unreachable may surface as an error on a later send, no more).
 *   Use tcp or tls when nothing may be lost.
 * Each `send` opens one connection for the batch and closes it.
 */
export function createSyslogSink(config: SyslogSinkConfig): RemoteSink {
  let ca: Buffer | undefined;
  const loadCa = (): Buffer | undefined => {
    if (config.caFile === undefined || ca !== undefined) return ca;
    try {
      ca = readFileSync(config.caFile);
    } catch (err) {
      throw new VhError('CONFIG', `cannot read ca_file ${config.caFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { details: { sink: config.name } });
    }
    return ca;
  };

  return {
    name: config.name,
    send(events: AuditEvent[], signal: AbortSignal): Promise<void> {
      const messages = events.map((e) => formatSyslogMessage(e, config.facility, config.appName));
      if (config.transport === 'udp') return sendUdp(config, messages, signal);
      return sendStream(config, messages.map(octetCountedFrame), signal, config.transport === 'tls' ? loadCa() : undefined);
    },
    async close(): Promise<void> {
      // Connections live for one batch each; nothing stays open.
    },
  };
}

function deadlineError(signal: AbortSignal): VhError {
  const reason: unknown = signal.reason;
  return reason instanceof VhError ? reason : new VhError('TIMEOUT', 'delivery cut off at the flush deadline');
}

function wrap(err: unknown, sink: string): VhError {
  return err instanceof VhError ? err : new VhError('NETWORK', describeNetworkError(err), { details: { sink } });
}

function sendStream(config: SyslogSinkConfig, frames: Buffer[], signal: AbortSignal, ca: Buffer | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(deadlineError(signal));
      return;
    }
    let settled = false;
    let flushed = false;
    const finish = (err?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (err === undefined) resolve();
      else {
        socket.destroy();
        reject(wrap(err, config.name));
      }
    };
    const socket: net.Socket =
      config.transport === 'tls'
        ? tls.connect({
            host: config.host,
            port: config.port,
            ...(net.isIP(config.host) === 0 ? { servername: config.host } : {}),
            ...(ca ? { ca } : {}),
            rejectUnauthorized: true,
          })
        : net.connect({ host: config.host, port: config.port });
    const timer = setTimeout(() => socket.destroy(new VhError('TIMEOUT', `no clean close within ${config.timeoutMs} ms`, { details: { sink: config.name } })), config.timeoutMs);
    const onAbort = () => socket.destroy(deadlineError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('error', finish);
    socket.on('data', () => undefined); // a syslog receiver says nothing; drain whatever it might send
    socket.once(config.transport === 'tls' ? 'secureConnect' : 'connect', () => {
      socket.end(Buffer.concat(frames));
    });
    socket.on('finish', () => {
      flushed = true;
    });
    socket.on('close', (hadError: boolean) => {
      if (hadError) return; // 'error' already settled it
      finish(flushed ? undefined : new VhError('NETWORK', 'connection closed before the batch was written', { details: { sink: config.name } }));
    });
  });
}

function sendUdp(config: SyslogSinkConfig, messages: string[], signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(deadlineError(signal));
      return;
    }
    const socket = dgram.createSocket(net.isIPv6(config.host) ? 'udp6' : 'udp4');
    let settled = false;
    const finish = (err?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.close();
      if (err === undefined) resolve();
      else reject(wrap(err, config.name));
    };
    const timer = setTimeout(() => finish(new VhError('TIMEOUT', `datagrams not sent within ${config.timeoutMs} ms`, { details: { sink: config.name } })), config.timeoutMs);
    const onAbort = () => finish(deadlineError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('error', finish);
    socket.connect(config.port, config.host, () => {
      let i = 0;
      const next = (err?: Error | null) => {
        if (err) return finish(err);
        if (settled) return;
        if (i >= messages.length) return finish();
        socket.send(Buffer.from(messages[i++]!, 'utf8'), next);
      };
      next();
    });
  });
}
