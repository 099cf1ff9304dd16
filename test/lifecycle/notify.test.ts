import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { baseEnv, run, tempHome } from '../helpers/cli.js';
import { canary, encodings } from '../leak/canary.js';
import { uniqueName } from '../providers/contract.js';
import { storesUnderTest } from '../helpers/stores.js';

/**
 * `vh-secrets notify` against a real HTTP server (the webhook) and a real hook script, on the file store: one
 * notice per window, nothing the second time, a new window after rotation, a channel that is down gets its
 * notice on the next run (and only it), and no notice, output or payload ever carries a value or the webhook URL.
 */

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
const ahead = (days: number) => new Date(Date.now() + days * DAY).toISOString();
/** The webhook URL's path is its credential (Slack style): it must never be printed. */
const TOKEN = `T0KEN${canary('hook').slice(6, 30)}`;

interface Webhook {
  port: number;
  bodies: { text: string; blocks?: unknown[] }[];
  mode: 'ok' | 'fail';
  close(): Promise<void>;
}

/** Every body any incarnation of the webhook took, in order. */
const received: Webhook['bodies'] = [];

function startWebhook(port = 0): Promise<Webhook> {
  const hook: Partial<Webhook> & { bodies: Webhook['bodies']; mode: Webhook['mode'] } = { bodies: received, mode: 'ok' };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (b: Buffer) => chunks.push(b));
    req.on('end', () => {
      if (req.url !== `/hooks/${TOKEN}` || req.method !== 'POST' || req.headers['content-type'] !== 'application/json') {
        res.writeHead(404).end();
        return;
      }
      if (hook.mode === 'fail') {
        res.writeHead(503).end('down for maintenance');
        return;
      }
      hook.bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Webhook['bodies'][number]);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => {
      hook.port = (server.address() as AddressInfo).port;
      hook.close = () =>
        new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        });
      resolve(hook as Webhook);
    });
  });
}

let home: string;
let env: NodeJS.ProcessEnv;
let webhook: Webhook;
let hookOut: string;
const values: string[] = [];
const outputs: string[] = [];

async function vh(args: string[], input?: string, extraEnv: NodeJS.ProcessEnv = {}) {
  const r = await run(args, { env: { ...env, ...extraEnv }, ...(input !== undefined ? { input } : {}) });
  if (args[0] !== 'get') outputs.push(r.out, r.stderr);
  return r;
}

async function hookNotices(): Promise<{ secret: string; windows: { kind: string; phase: string; id: string }[]; contacts: string[]; summary: string }[]> {
  const text = await fs.readFile(hookOut, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { secret: string; windows: { kind: string; phase: string; id: string }[]; contacts: string[]; summary: string });
}

async function create(name: string, type: string, meta: Record<string, string> = {}): Promise<void> {
  const value = canary(name);
  values.push(value);
  expect((await vh(['create', name, '--type', type], value)).code).toBe(0);
  if (Object.keys(meta).length > 0) {
    const { default: openFile } = await import('../../src/providers/file.js');
    const store = await openFile({}, { alias: 'local', home: join(home, 'vh') });
    await store.setMetadata(name, meta);
  }
}

async function metadata(name: string): Promise<Record<string, string>> {
  const { default: openFile } = await import('../../src/providers/file.js');
  const store = await openFile({}, { alias: 'local', home: join(home, 'vh') });
  return (await store.describe(name)).metadata;
}

beforeAll(async () => {
  home = tempHome('vh-notify-');
  webhook = await startWebhook();
  hookOut = join(home, 'hook-received.jsonl');
  const hookScript = join(home, 'hook.sh');
  // A real hook: appends the notice it got on stdin, fails while $HOOK_FAIL exists.
  await fs.writeFile(hookScript, `#!/bin/sh\nif [ -e "${join(home, 'HOOK_FAIL')}" ]; then echo "pager gateway said no" >&2; exit 3; fi\ncat >> "${hookOut}"\n`, { mode: 0o755 });
  const config = join(home, 'vh-secrets.toml');
  await fs.writeFile(
    config,
    `[notify]\ncontacts = ["fallback@example.com"]\n\n[[notify.channels]]\nname = "slack"\nkind = "webhook"\nurl = "\${VH_TEST_WEBHOOK}"\ntimeout_ms = 3000\n\n[[notify.channels]]\nname = "pager"\nkind = "command"\ncommand = ["${hookScript}"]\ntimeout_ms = 5000\n`,
  );
  env = baseEnv(home, {
    VH_SECRETS_CONFIG: config,
    VH_TEST_WEBHOOK: `http://127.0.0.1:${webhook.port}/hooks/${TOKEN}`,
    VOICEHIVE_EMERGENCY_CONTACTS: 'oncall@example.com, security@example.com',
  });
});
afterAll(async () => {
  await webhook.close().catch(() => undefined);
  await fs.rm(home, { recursive: true, force: true });
});

test('one notice per secret entering its window, on both channels; the second run sends nothing', async () => {
  await create('app/fresh', 'api_key');
  await create('app/due-soon', 'api_key', { 'vh-rotated-at': ago(85) });
  await create('app/expiring', 'database_password', { 'vh-expires-at': ahead(3) });
  await create('app/expired', 'generic', { 'vh-expires-at': ago(2) });

  const dry = await vh(['notify', '--dry-run', '--json']);
  expect(dry.code).toBe(0);
  const planned = JSON.parse(dry.out) as { notices: { secret: string; status: string }[] };
  expect(planned.notices.map((n) => n.secret).sort()).toEqual(['local:app/due-soon', 'local:app/expired', 'local:app/expiring']);
  expect(planned.notices.every((n) => n.status === 'planned')).toBe(true);
  expect(webhook.bodies).toHaveLength(0);
  expect((await metadata('app/due-soon'))['vh-notified']).toBeUndefined();

  const first = await vh(['notify', '--json']);
  expect(first.code).toBe(0);
  const report = JSON.parse(first.out) as { notices: { secret: string; status: string; delivered: string[]; windows: { kind: string; phase: string }[] }[]; summary: Record<string, number> };
  expect(report.notices.map((n) => [n.secret, n.status, n.delivered])).toEqual(
    expect.arrayContaining([
      ['local:app/due-soon', 'sent', ['pager', 'slack']],
      ['local:app/expiring', 'sent', ['pager', 'slack']],
      ['local:app/expired', 'sent', ['pager', 'slack']],
    ]),
  );
  expect(report.notices).toHaveLength(3);
  expect(report.notices.find((n) => n.secret === 'local:app/expired')!.windows).toEqual([expect.objectContaining({ kind: 'expiry', phase: 'expired' })]);
  expect(report.summary.expired_recorded).toBe(1);

  expect(webhook.bodies).toHaveLength(3);
  const dueText = webhook.bodies.find((b) => b.text.includes('app/due-soon'))!;
  expect(dueText.text).toMatch(/rotation due in 5 days/);
  expect(dueText.text).toMatch(/oncall@example\.com, security@example\.com/);
  expect(Array.isArray(dueText.blocks)).toBe(true);
  const hooked = await hookNotices();
  expect(hooked.map((n) => n.secret).sort()).toEqual(['local:app/due-soon', 'local:app/expired', 'local:app/expiring']);
  expect(hooked[0]!.contacts).toEqual(['oncall@example.com', 'security@example.com']);
  expect((await metadata('app/due-soon'))['vh-notified']).toMatch(/^rotation-\d{8}T\d{6}Z$/);

  const second = await vh(['notify', '--json']);
  expect(second.code).toBe(0);
  expect(JSON.parse(second.out).notices).toEqual([]);
  expect(JSON.parse(second.out).summary.already_notified).toBe(3);
  expect(webhook.bodies).toHaveLength(3);
  expect(await hookNotices()).toHaveLength(3);
  // `expired` is an audit event, recorded once.
  const log = (await fs.readFile(join(home, 'vh', 'audit.log'), 'utf8')).split('\n').filter((l) => l.includes('"event":"expired"'));
  expect(log).toHaveLength(1);
});

test('after a rotation the window resets: the new due date gets its own notice', async () => {
  expect((await vh(['rotate', 'app/due-soon', '--yes', '--force'])).code).toBe(0);
  const quiet = await vh(['notify', '--json']);
  expect(quiet.code).toBe(0);
  expect(JSON.parse(quiet.out).notices).toEqual([]);
  // The new deadline comes near (as if 80 days passed): a new window, a new notice.
  const { default: openFile } = await import('../../src/providers/file.js');
  const store = await openFile({}, { alias: 'local', home: join(home, 'vh') });
  await store.setMetadata('app/due-soon', { 'vh-rotated-at': ago(80) });
  const before = webhook.bodies.length;
  const again = await vh(['notify']);
  expect(again.code).toBe(0);
  expect(webhook.bodies).toHaveLength(before + 1);
  expect(webhook.bodies.at(-1)!.text).toMatch(/app\/due-soon \(api_key\): rotation due in 10 days/);
  // Past the due date: one more notice (overdue), then silence.
  await store.setMetadata('app/due-soon', { 'vh-rotated-at': ago(92) });
  expect((await vh(['notify'])).code).toBe(0);
  expect(webhook.bodies.at(-1)!.text).toMatch(/rotation overdue by 2 days/);
  const count = webhook.bodies.length;
  expect((await vh(['notify'])).code).toBe(0);
  expect(webhook.bodies).toHaveLength(count);
});

test('webhook down: exit 69, the hook still gets it; next run delivers only to the webhook', async () => {
  await create('app/soon2', 'api_key', { 'vh-rotated-at': ago(84) });
  const port = webhook.port;
  await webhook.close();
  const down = await vh(['notify', '--json']);
  expect(down.code).toBe(69);
  const rep = JSON.parse(down.out) as { notices: { secret: string; status: string; delivered: string[]; failed: { channel: string; reason: string; message: string }[] }[] };
  expect(rep.notices).toEqual([expect.objectContaining({ secret: 'local:app/soon2', status: 'partial', delivered: ['pager'], failed: [expect.objectContaining({ channel: 'slack', reason: 'unreachable' })] })]);
  expect((await metadata('app/soon2'))['vh-notified']).toMatch(/^rotation-\d{8}T\d{6}Z=pager$/);
  const human = await vh(['notify']);
  expect(human.code).toBe(69);
  expect(human.out).toMatch(/slack: unreachable/);
  const hooked = (await hookNotices()).filter((n) => n.secret === 'local:app/soon2');
  expect(hooked).toHaveLength(1);

  const before = received.length;
  webhook = await startWebhook(port);
  const up = await vh(['notify', '--json']);
  expect(up.code).toBe(0);
  expect(JSON.parse(up.out).notices).toEqual([expect.objectContaining({ secret: 'local:app/soon2', status: 'sent', delivered: ['slack'] })]);
  expect(received).toHaveLength(before + 1);
  expect(received.at(-1)!.text).toMatch(/app\/soon2/);
  expect((await hookNotices()).filter((n) => n.secret === 'local:app/soon2')).toHaveLength(1);
  expect((await metadata('app/soon2'))['vh-notified']).toMatch(/^rotation-\d{8}T\d{6}Z$/);
});

test('a channel that refuses (HTTP 503, hook exit 3): exit 75, nothing marked, retried next run', async () => {
  await create('app/soon3', 'api_key', { 'vh-rotated-at': ago(83) });
  webhook.mode = 'fail';
  await fs.writeFile(join(home, 'HOOK_FAIL'), '');
  const r = await vh(['notify', '--json']);
  expect(r.code).toBe(75);
  const n = (JSON.parse(r.out) as { notices: { status: string; failed: { channel: string; reason: string; message: string }[] }[] }).notices[0]!;
  expect(n.status).toBe('failed');
  expect(n.failed).toEqual([
    { channel: 'pager', reason: 'rejected', message: 'hook exited 3: pager gateway said no' },
    { channel: 'slack', reason: 'rejected', message: 'HTTP 503' },
  ]);
  expect((await metadata('app/soon3'))['vh-notified']).toBeUndefined();
  webhook.mode = 'ok';
  await fs.rm(join(home, 'HOOK_FAIL'));
  const retry = await vh(['notify', '--json']);
  expect(retry.code).toBe(0);
  expect(JSON.parse(retry.out).notices).toEqual([expect.objectContaining({ secret: 'local:app/soon3', status: 'sent' })]);
});

test('a hook that hangs is killed after its timeout (75); no channels configured is 78; bad --within-days is 64', async () => {
  const slow = join(home, 'slow.sh');
  await fs.writeFile(slow, '#!/bin/sh\nsleep 30\n', { mode: 0o755 });
  const cfg = join(home, 'slow.toml');
  await fs.writeFile(cfg, `[[notify.channels]]\nkind = "command"\ncommand = ["${slow}"]\ntimeout_ms = 300\n`);
  await create('app/soon4', 'api_key', { 'vh-rotated-at': ago(82) });
  const t0 = Date.now();
  const r = await vh(['notify', '--store', 'local', '--json'], undefined, { VH_SECRETS_CONFIG: cfg });
  expect(r.code).toBe(75);
  expect(Date.now() - t0).toBeLessThan(10_000);
  expect(JSON.parse(r.out).notices[0].failed[0]).toMatchObject({ channel: 'command-1', reason: 'timeout' });

  const none = join(home, 'none.toml');
  await fs.writeFile(none, '');
  const n = await vh(['notify'], undefined, { VH_SECRETS_CONFIG: none });
  expect(n.code).toBe(78);
  expect(n.stderr).toMatch(/no notice channels are configured/);
  // Without channels, --dry-run still shows what is due (app/soon4 never got its notice).
  const dryNone = await vh(['notify', '--dry-run', '--json'], undefined, { VH_SECRETS_CONFIG: none });
  expect(dryNone.code).toBe(0);
  expect(JSON.parse(dryNone.out).notices.map((x: { secret: string }) => x.secret)).toEqual(['local:app/soon4']);
  expect((await vh(['notify', '--within-days', 'soon'])).code).toBe(64);
  // --within-days widens the window: app/fresh (due in ~90 days) is inside 100 days.
  const wide = JSON.parse((await vh(['notify', '--within-days', '100', '--dry-run', '--json'])).out) as { notices: { secret: string }[] };
  expect(wide.notices.map((x) => x.secret)).toContain('local:app/fresh');
});

const peers = (await storesUnderTest(tempHome('vh-notify-peers-'))).filter((p) => p.provider !== 'file');
for (const peer of peers) {
  (peer.skip ? describe.skip : describe)(`notify on ${peer.provider}`, () => {
    test('the notice state lives in the store\'s own metadata: sent once, then nothing', async () => {
      const peerHome = tempHome(`vh-notify-${peer.provider}-`);
      try {
        const peerEnv = await peer.env(peerHome);
        await fs.appendFile(peerEnv.VH_SECRETS_CONFIG!, `\n[[notify.channels]]\nname = "slack"\nkind = "webhook"\nurl = "http://127.0.0.1:${webhook.port}/hooks/${TOKEN}"\n`);
        const tag = `run=n${Date.now().toString(36)}`;
        const name = uniqueName('notify');
        const value = canary('peer');
        values.push(value);
        const created = await run(['create', name, '--type', 'api_key', '--tag', tag], { env: peerEnv, input: value });
        expect(created.code).toBe(0);
        const store = await peer.open();
        await store.setMetadata(name, { 'vh-rotated-at': ago(86) });
        const before = received.length;
        const first = await run(['notify', '--tag', tag, '--json'], { env: peerEnv });
        outputs.push(first.out, first.stderr);
        expect(first.code).toBe(0);
        expect(JSON.parse(first.out).notices).toEqual([expect.objectContaining({ secret: `${peer.alias}:${name}`, status: 'sent', delivered: ['slack'] })]);
        expect(received).toHaveLength(before + 1);
        expect(received.at(-1)!.text).toMatch(/rotation due in 4 days/);
        expect((await store.describe(name)).metadata['vh-notified']).toMatch(/^rotation-\d{8}T\d{6}Z$/);
        const second = await run(['notify', '--tag', tag, '--json'], { env: peerEnv });
        expect(second.code).toBe(0);
        expect(JSON.parse(second.out).notices).toEqual([]);
        expect(received).toHaveLength(before + 1);
        for (const form of encodings(value)) for (const text of [JSON.stringify(received), first.out, first.stderr, second.out]) expect(text.includes(form)).toBe(false);
        await store.destroy(name);
      } finally {
        await fs.rm(peerHome, { recursive: true, force: true });
      }
    });
  });
}

test('config errors name the file, line and field (78); a bad webhook URL is not quoted back', async () => {
  const cases: [string, RegExp][] = [
    ['[[notify.channels]]\nkind = "email"\n', /bad\.toml:2: notify\.channels\.kind: unknown channel kind "email"/],
    ['[[notify.channels]]\nkind = "command"\ncommand = "notify-send"\n', /notify\.channels\.command: must be a non-empty array of strings/],
    ['[[notify.channels]]\nkind = "webhook"\nurl = "ftp://h/T0KEN-in-url"\n', /notify\.channels\.url: must be an http:\/\/ or https:\/\/ URL/],
    ['[notify]\nchannel = []\n', /notify\.channel: unknown setting/],
  ];
  for (const [toml, message] of cases) {
    const file = join(home, 'bad.toml');
    await fs.writeFile(file, toml);
    const r = await vh(['notify', '--dry-run'], undefined, { VH_SECRETS_CONFIG: file });
    expect([toml, r.code]).toEqual([toml, 78]);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain('T0KEN-in-url');
  }
});

test('leak canary: no value and no webhook URL in any payload, hook input or output', async () => {
  const payloads = [JSON.stringify(webhook.bodies), await fs.readFile(hookOut, 'utf8'), ...outputs];
  for (const v of values) for (const form of encodings(v)) for (const p of payloads) expect(p.includes(form)).toBe(false);
  for (const p of outputs) expect(p.includes(TOKEN)).toBe(false);
  expect(await fs.readFile(join(home, 'vh', 'audit.log'), 'utf8')).not.toContain(TOKEN);
});
