import type { NotifyChannelConfig } from './types.js';
import { describeNetworkError } from '../base/net.js';
import { NoticeDeliveryError, windowText, type Notice, type NoticeChannel } from './types.js';

type WebhookConfig = Extract<NotifyChannelConfig, { kind: 'webhook' }>;

/** Slack-compatible body: `text` for every client and for notifications, `blocks` for the rich layout. */
export function slackPayload(notice: Notice): { text: string; blocks: unknown[] } {
  const lines = notice.windows.map((w) => `• ${windowText(w)} (${w.deadline.slice(0, 16).replace('T', ' ')} UTC)`);
  const facts = [`*type* ${notice.type}`, `*owner* ${notice.owner ?? '-'}`, `*host* ${notice.host}`];
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: `Secret needs attention: ${notice.secret}`.slice(0, 150) } },
    { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: facts.join('  ·  ') }] },
  ];
  if (notice.contacts.length > 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Contacts: ${notice.contacts.join(', ')}` }] });
  const contacts = notice.contacts.length > 0 ? ` — contacts: ${notice.contacts.join(', ')}` : '';
  return { text: `vh-secrets: ${notice.summary}${contacts}`, blocks };
}

/**
 * POSTs the notice as JSON to a webhook. The URL is the credential for Slack-style hooks: no message ever
 * quotes it, nor the response body (which might echo it).
 */
export function webhookChannel(config: WebhookConfig): NoticeChannel {
  return {
    name: config.name,
    kind: 'webhook',
    async send(notice: Notice): Promise<void> {
      let res: Response;
      try {
        res = await fetch(config.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(slackPayload(notice)),
          signal: AbortSignal.timeout(config.timeoutMs),
          redirect: 'error',
        });
      } catch (err) {
        const e = err as Error & { cause?: unknown };
        if (e.name === 'TimeoutError' || e.name === 'AbortError') throw new NoticeDeliveryError({ reason: 'timeout', message: `no answer within ${config.timeoutMs} ms` });
        const cause = e.cause as (NodeJS.ErrnoException & { address?: string }) | undefined;
        // Only the system error's code: its message can carry the host and port, never the path, but keep it short.
        throw new NoticeDeliveryError({ reason: 'unreachable', message: cause?.code ?? (cause ? describeNetworkError(cause).split(' ')[0]! : 'connection failed') });
      }
      await res.body?.cancel().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) throw new NoticeDeliveryError({ reason: 'rejected', message: `HTTP ${res.status}` });
    },
  };
}
