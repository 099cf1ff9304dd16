import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import type { ActorType, AuditEvent, AuditInput } from './event.js';
import { FileAuditSink } from './file-sink.js';

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
}

export class AuditLogger implements AuditRecorder {
  private readonly sink: FileAuditSink;
  private readonly host = hostname();

  constructor(
    logPath: string,
    private readonly actor: Actor,
    hmacKey?: string,
  ) {
    this.sink = new FileAuditSink(logPath, hmacKey);
  }

  record(input: AuditInput): Promise<AuditEvent> {
    return this.sink.append({
      ts: new Date().toISOString(),
      id: randomUUID(),
      ...input,
      actor: this.actor.name,
      actor_type: this.actor.type,
      source_ip: this.actor.sourceIp,
      host: this.host,
    });
  }
}
