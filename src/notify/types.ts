/**
 * An expiry / rotation notice as channels receive it. It names the secret and its deadlines — never a value:
 * notices are built from metadata alone, no value is ever read to build one.
 */
export interface NoticeWindow {
  kind: 'rotation' | 'expiry';
  /** `warning`: inside the warning window; `overdue` (rotation) / `expired` (expiry): past the deadline. */
  phase: 'warning' | 'overdue' | 'expired';
  deadline: string;
  /** Days until the deadline; negative once past it. */
  days_left: number;
  /** Stable id of this window (kind, deadline, phase): a notice is sent once per id. */
  id: string;
}

export interface Notice {
  schema: 'vh-secrets/notice@1';
  generated_at: string;
  host: string;
  secret: string;
  store: string;
  name: string;
  type: string;
  owner: string | null;
  windows: NoticeWindow[];
  /** One line for people. */
  summary: string;
  /** VOICEHIVE_EMERGENCY_CONTACTS, or `[notify] contacts`. */
  contacts: string[];
}

/** Why a delivery failed: the channel could not be reached, or it was reached and did not take the notice. */
export interface DeliveryFailure {
  reason: 'unreachable' | 'rejected' | 'timeout';
  message: string;
}

export interface NoticeChannel {
  readonly name: string;
  readonly kind: 'webhook' | 'command';
  /** Resolves when the channel took the notice; otherwise rejects with a NoticeDeliveryError. */
  send(notice: Notice): Promise<void>;
}

export class NoticeDeliveryError extends Error {
  constructor(readonly failure: DeliveryFailure) {
    super(failure.message);
    this.name = 'NoticeDeliveryError';
  }
}

/** `rotation due in 3 days`, `expired 1 day ago`. */
export function windowText(w: NoticeWindow): string {
  const d = Math.abs(w.days_left);
  const days = `${d} day${d === 1 ? '' : 's'}`;
  if (w.kind === 'rotation') return w.phase === 'overdue' ? `rotation overdue by ${days}` : `rotation due in ${days}`;
  return w.phase === 'expired' ? `expired ${days} ago` : `expires in ${days}`;
}

/** `[[notify.channels]]`: where `vh-secrets notify` sends expiry and rotation notices. */
export type NotifyChannelConfig =
  | { kind: 'webhook'; name: string; /** May carry a token (Slack): never printed. */ url: string; timeoutMs: number }
  | { kind: 'command'; name: string; command: string[]; timeoutMs: number };
