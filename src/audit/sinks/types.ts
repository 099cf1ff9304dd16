import type { AuditEvent } from '../event.js';

/**
 * Remote audit sinks. The local JSON-lines log is always written first (it is the record and the spool);
 * remote sinks receive the same events afterwards, in log order, at least once (receivers dedupe by `id`).
 */

export interface HttpSinkConfig {
  kind: 'http';
  /** Unique among sinks; names the sink's cursor/spool files. */
  name: string;
  /** Collector URL; NDJSON batches are POSTed here (Vector `http_server`, Fluent Bit `http` input). */
  url: string;
  /** Extra request headers, e.g. `Authorization` (values may come from `${ENV}` in config). Never logged. */
  headers: Record<string, string>;
  /** PEM CA bundle to trust for https (verification is always on). */
  caFile: string | undefined;
  /** Per-request timeout. */
  timeoutMs: number;
  /** Events per POST. */
  batchSize: number;
}

export interface SyslogSinkConfig {
  kind: 'syslog';
  name: string;
  transport: 'tcp' | 'udp' | 'tls';
  host: string;
  port: number;
  /** RFC 5424 facility number (default 10, authpriv). */
  facility: number;
  /** APP-NAME field (default `vh-secrets`). */
  appName: string;
  /** PEM CA bundle to trust for tls (verification is always on). */
  caFile: string | undefined;
  timeoutMs: number;
}

export type SinkConfig = HttpSinkConfig | SyslogSinkConfig;

/** One remote destination. `send` resolves only once the batch is accepted (as far as the transport can tell). */
export interface RemoteSink {
  readonly name: string;
  send(events: AuditEvent[], signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}
