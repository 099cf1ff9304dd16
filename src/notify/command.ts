import { spawn } from 'node:child_process';
import type { NotifyChannelConfig } from './types.js';
import { NoticeDeliveryError, type Notice, type NoticeChannel } from './types.js';

type CommandConfig = Extract<NotifyChannelConfig, { kind: 'command' }>;

/** vh-secrets' own keys: a hook has no business with them. */
const WITHHELD_ENV = ['VH_SECRETS_FILE_KEY', 'VH_SECRETS_AUDIT_HMAC_KEY'];
const STDERR_KEEP = 2048;

/**
 * Runs the hook (no shell) with the notice as one JSON document on stdin; exit 0 means delivered. A hook that
 * outlives `timeoutMs` is killed with its process group (SIGKILL) and counts as not delivered.
 */
export function commandChannel(config: CommandConfig): NoticeChannel {
  return {
    name: config.name,
    kind: 'command',
    send(notice: Notice): Promise<void> {
      const env: NodeJS.ProcessEnv = { ...process.env, VH_NOTICE_CHANNEL: config.name };
      for (const k of WITHHELD_ENV) delete env[k];
      return new Promise<void>((resolve, reject) => {
        const [program, ...args] = config.command;
        // Its own process group, so a timeout kills the hook and anything it started.
        const child = spawn(program!, args, { stdio: ['pipe', 'ignore', 'pipe'], env, detached: true });
        let stderr = '';
        let settled = false;
        const settle = (err?: NoticeDeliveryError) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (err) reject(err);
          else resolve();
        };
        const timer = setTimeout(() => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            child.kill('SIGKILL');
          }
          settle(new NoticeDeliveryError({ reason: 'timeout', message: `hook did not finish within ${config.timeoutMs} ms (killed)` }));
        }, config.timeoutMs);
        child.stderr.on('data', (b: Buffer) => {
          if (stderr.length < STDERR_KEEP) stderr += b.toString('utf8');
        });
        child.on('error', (err: NodeJS.ErrnoException) => settle(new NoticeDeliveryError({ reason: 'unreachable', message: `cannot run ${program}: ${err.code ?? err.message}` })));
        child.on('close', (code, signal) => {
          if (code === 0) return settle();
          const first = stderr.split('\n').find((l) => l.trim() !== '')?.trim().slice(0, 200);
          settle(new NoticeDeliveryError({ reason: 'rejected', message: `hook exited ${code ?? signal}${first ? `: ${first}` : ''}` }));
        });
        child.stdin.on('error', () => undefined);
        child.stdin.end(`${JSON.stringify(notice)}\n`);
      });
    },
  };
}
