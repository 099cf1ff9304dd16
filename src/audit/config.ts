import type { AnomalyConfig } from './anomaly-config.js';
import type { SinkConfig } from './sinks/types.js';

/** The `[audit]` table as the audit layer uses it (parsed and checked by core's config loader). */
export interface AuditConfig {
  log: string;
  hmacKey: string | undefined;
  /** Signed head file (`[audit] anchor`): lets `audit verify` detect a log truncated at its end. */
  anchor: string | undefined;
  /** Remote sinks (`[[audit.sinks]]`), fed from the local log. */
  sinks: SinkConfig[];
  /** How long a command may wait for remote sinks at its end before leaving events spooled (ms). */
  flushTimeoutMs: number;
  /** Where each remote sink keeps its cursor into the local log. */
  spoolDir: string;
  anomalies: AnomalyConfig;
  /**
   * Where the hour index of each log read is kept (the loader puts it under the home's cache dir); without one no
   * index is kept and a report reads the log from its start.
   */
  indexDir?: string | undefined;
}
