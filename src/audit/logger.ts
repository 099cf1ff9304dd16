import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import type { AuditConfig } from './config.js';
import type { ActorType, AuditEvent, AuditInput } from './event.js';
import { FileAuditSink } from './file-sink.js';
import type { AuditForwarder, SinkStatus } from './forward.js';

export interface Actor {
  name: string;
  type: ActorType;
  sourceIp: string | null;
}

/** Who is acting: `VH_SECRETS_ACTOR` or the OS user; CI, an interactive user, or a service (cron, scripts). */
export function detectActor(env: NodeJS.ProcessEnv = process.env, interactive = Boolean(process.stdin.isTTY)): Actor {
  let name = env.VH_SECRETS_ACTOR;
  if (!name) {
    try {
      name = userInfo().username;
    } catch {
      name = env.USER ?? 'unknown';
    }
  }
  const ci = env.CI === 'true' || env.CI === '1';
  const type: ActorType = ci ? 'ci' : interactive ? 'user' : 'service';
  const ssh = env.SSH_CONNECTION ?? env.SSH_CLIENT;
  const sourceIp = ssh ? (ssh.split(' ')[0] ?? null) : null;
  return { name, type, sourceIp };
}

export interface AuditRecorder {
  record(input: AuditInput): Promise<AuditEvent>;
  /** From now on, events on `store` carry `details.store_identity`: who that store knows this process as. */
  noteIdentity?(store: string, identity: string): void;
  /**
   * Ends recording: waits for remote sinks (at most `flushTimeoutMs`) and says where each stands. Events not
   * delivered stay spooled behind the sink's cursor. Empty when no remote sink is configured.
   */
  close(): Promise<SinkStatus[]>;
}

/**
 * Records audit events: the local log first (the record and the spool), then — in the background, never in
 * `record`'s way — the remote sinks of `[[audit.sinks]]`. Their code loads only when one is configured.
 */
export class AuditLogger implements AuditRecorder {
  private readonly sink: FileAuditSink;
  private readonly host = hostname();
  private forwarder: Promise<AuditForwarder> | undefined;
  private closing: Promise<SinkStatus[]> | undefined;
  private readonly identities = new Map<string, string>();

  constructor(
    private readonly config: AuditConfig,
    private readonly actor: Actor,
  ) {
    this.sink = new FileAuditSink(config.log, config.hmacKey, config.anchor);
  }

  noteIdentity(store: string, identity: string): void {
    this.identities.set(store, identity);
  }

  async record(input: AuditInput): Promise<AuditEvent> {
    const identity = input.store !== null ? this.identities.get(input.store) : undefined;
    const event = await this.sink.append({
      ts: new Date().toISOString(),
      id: randomUUID(),
      ...input,
      ...(identity !== undefined && input.details.store_identity === undefined ? { details: { ...input.details, store_identity: identity } } : {}),
      actor: this.actor.name,
      actor_type: this.actor.type,
      source_ip: this.actor.sourceIp,
      host: this.host,
    });
    if (this.config.sinks.length > 0 && this.closing === undefined) {
      this.loadForwarder().then(
        (f) => f.kick(),
        () => undefined, // a broken sink setup shows in close()'s status
      );
    }
    return event;
  }

  close(): Promise<SinkStatus[]> {
    this.closing ??= this.finish();
    return this.closing;
  }

  private async finish(): Promise<SinkStatus[]> {
    if (this.config.sinks.length === 0) return [];
    const deadline = Date.now() + this.config.flushTimeoutMs;
    let forwarder: AuditForwarder;
    try {
      forwarder = await this.loadForwarder();
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      return this.config.sinks.map((s) => ({ name: s.name, ok: false, pending: 0, delivered: 0, error, problem: 'local' as const }));
    }
    try {
      return await forwarder.deliver(deadline, this.config.flushTimeoutMs);
    } finally {
      await forwarder.close();
    }
  }

  private loadForwarder(): Promise<AuditForwarder> {
    this.forwarder ??= import('./forward.js').then(({ AuditForwarder: F }) => new F(this.config));
    return this.forwarder;
  }
}
