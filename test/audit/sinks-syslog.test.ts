import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ANOMALY_CONFIG } from '../../src/audit/anomaly-config.js';
import { chainHash, type AuditEvent } from '../../src/audit/event.js';
import { flushAuditSinks } from '../../src/audit/forward.js';
import { AuditLogger } from '../../src/audit/logger.js';
import { formatSyslogMessage, octetCountedFrame } from '../../src/audit/sinks/syslog.js';
import type { SyslogSinkConfig } from '../../src/audit/sinks/types.js';
import type { AuditConfig } from '../../src/audit/config.js';
import { baseEnv, run, tempHome } from '../helpers/cli.js';
import { makeCertificates, waitFor, type Certificates } from '../helpers/collector.js';
import { rsyslogHasTls, rsyslogMissing, startRsyslog, type Rsyslog, type SyslogRecord } from '../helpers/rsyslog.js';

/**
 * The syslog sink against a real rsyslogd (Debian packages `rsyslog` and, for TLS, `rsyslog-gnutls`). Without
 * rsyslogd the suite skips with one loud line; with VH_REQUIRE_PEERS=1 (CI) a missing package is a failure.
 */
const required = process.env.VH_REQUIRE_PEERS === '1';
const missing = rsyslogMissing();
const tls = missing === undefined && rsyslogHasTls();
if (required && missing) throw new Error(`${missing} (VH_REQUIRE_PEERS=1: rsyslog is required here)`);
if (required && !tls) throw new Error('rsyslog-gnutls is not installed (VH_REQUIRE_PEERS=1: TLS to rsyslog is tested here)');
if (missing) console.warn(`SKIPPING syslog sink tests against rsyslog: ${missing}`);
else if (!tls) console.warn('SKIPPING syslog-over-TLS cases: rsyslog-gnutls is not installed (apt-get install -y rsyslog-gnutls)');

let dir: string;
let certs: Certificates;
let rsyslog: Rsyslog | undefined;

async function startPeer(): Promise<void> {
  dir = tempHome('vh-sinks-syslog-');
  certs = makeCertificates(dir);
  rsyslog = await startRsyslog(join(dir, 'rsyslog'), tls ? certs : undefined);
}

async function stopPeer(): Promise<void> {
  await rsyslog?.stop();
  rsyslog = undefined;
  await fs.rm(dir, { recursive: true, force: true });
}

function sink(name: string, transport: SyslogSinkConfig['transport'], extra: Partial<SyslogSinkConfig> = {}): SyslogSinkConfig {
  const r = rsyslog!;
  const port = transport === 'tcp' ? r.tcpPort : transport === 'udp' ? r.udpPort : r.tlsPort!;
  return { kind: 'syslog', name, transport, host: '127.0.0.1', port, facility: 10, appName: 'vh-secrets', caFile: transport === 'tls' ? certs.ca : undefined, timeoutMs: 3000, ...extra };
}

function auditConfig(sinks: SyslogSinkConfig[]): AuditConfig {
  return {
    log: join(dir, 'log', 'audit.log'),
    hmacKey: 'chain-key',
    anchor: undefined,
    sinks,
    flushTimeoutMs: 3000,
    spoolDir: join(dir, 'spool'),
    anomalies: DEFAULT_ANOMALY_CONFIG,
  };
}

const actor = { name: 'ops-bot', type: 'service' as const, sourceIp: null };

async function logEvents(log: string): Promise<AuditEvent[]> {
  return (await fs.readFile(log, 'utf8')).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as AuditEvent);
}

async function receivedBy(input: SyslogRecord['input'], count: number): Promise<SyslogRecord[]> {
  let records: SyslogRecord[] = [];
  await waitFor(async () => {
    records = (await rsyslog!.received()).filter((r) => r.input === input);
    return records.length >= count;
  }, 15_000, `${count} ${input} messages at rsyslog`);
  return records;
}

describe('syslog message format', () => {
  test('RFC 5424 header, PRI from facility and outcome, ASCII-only JSON payload, octet-counted frame', () => {
    const event: AuditEvent = {
      ts: '2026-03-01T10:00:00.123Z', id: 'e1', event: 'rotation_failed', secret: 'local:app/db', secret_type: 'database_password', store: 'local',
      success: false, error_code: 'NETWORK', details: { note: 'Grüße' }, actor: 'ops', actor_type: 'user', source_ip: null, host: 'db host 1', prev: '0'.repeat(64), hash: 'f'.repeat(64),
    };
    const msg = formatSyslogMessage(event, 10, 'vh-secrets');
    expect(msg.startsWith('<84>1 2026-03-01T10:00:00.123Z db_host_1 vh-secrets - rotation_failed - {')).toBe(true);
    expect(msg).toMatch(/^[\x20-\x7e]+$/);
    expect(JSON.parse(msg.slice(msg.indexOf(' - {') + 3))).toEqual(event);
    expect(formatSyslogMessage({ ...event, success: true }, 19, 'app').startsWith('<158>1 ')).toBe(true);
    const frame = octetCountedFrame(msg).toString('utf8');
    expect(frame).toBe(`${Buffer.byteLength(msg)} ${msg}`);
  });
});

(missing ? describe.skip : describe)('syslog sink against a real rsyslogd', () => {
  beforeEach(startPeer);
  afterEach(stopPeer);

  test('events over TCP, UDP and TLS: rsyslog parses the RFC 5424 fields, the payload is the event with its chain intact', async () => {
    const sinks = [sink('siem-tcp', 'tcp'), sink('siem-udp', 'udp', { facility: 19, appName: 'vh-audit' }), ...(tls ? [sink('siem-tls', 'tls')] : [])];
    const config = auditConfig(sinks);
    const logger = new AuditLogger(config, actor);
    await logger.record({ event: 'accessed', secret: 'local:app/db#password', secret_type: 'database_password', store: 'local', success: true, error_code: null, details: { note: 'Grüße, "quoted" \\ back' } });
    await logger.record({ event: 'rotation_failed', secret: 'local:app/api', secret_type: 'api_key', store: 'local', success: false, error_code: 'NETWORK', details: { phase: 'verify' } });
    const statuses = await logger.close();
    expect(statuses.map((s) => [s.name, s.ok, s.pending])).toEqual(sinks.map((s) => [s.name, true, 0]));

    const logged = await logEvents(config.log);
    for (const s of sinks) {
      const records = await receivedBy(s.transport, 2);
      expect(records).toHaveLength(2);
      records.forEach((r, i) => {
        const e = logged[i]!;
        const severity = e.success ? 6 : 4;
        expect(r).toMatchObject({
          pri: String(s.facility * 8 + severity),
          facility: String(s.facility),
          severity: String(severity),
          version: '1',
          timestamp: e.ts,
          hostname: hostname(),
          app_name: s.appName,
          procid: '-',
          msgid: e.event,
          structured_data: '-',
        });
        expect(r.raw.startsWith(`<${s.facility * 8 + severity}>1 ${e.ts} `)).toBe(true);
        const payload = JSON.parse(r.msg) as AuditEvent;
        expect(payload).toEqual(e);
        // A SIEM can re-check the chain link from what syslog carried.
        expect(chainHash(payload, 'chain-key')).toBe(payload.hash);
      });
    }
  });

  test('rsyslog stopped during writes: TCP and TLS sinks keep the events spooled and deliver all, in order, once it is back', async () => {
    const sinks = [sink('siem-tcp', 'tcp'), ...(tls ? [sink('siem-tls', 'tls')] : [])];
    const config = auditConfig(sinks);
    const record = async (logger: AuditLogger, from: number, n: number) => {
      for (let i = from; i < from + n; i++) {
        await logger.record({ event: 'accessed', secret: `local:app/s${i}`, secret_type: null, store: 'local', success: true, error_code: null, details: { i } });
      }
    };
    const first = new AuditLogger(config, actor);
    await record(first, 0, 5);
    expect((await first.close()).every((s) => s.ok)).toBe(true);

    await rsyslog!.stop();
    const second = new AuditLogger({ ...config, flushTimeoutMs: 500 }, actor);
    await record(second, 5, 200);
    const down = await second.close();
    for (const s of down) {
      expect(s).toMatchObject({ ok: false, pending: 200, problem: 'unreachable', error: expect.stringMatching(/ECONNREFUSED 127\.0\.0\.1:\d+/) });
    }

    await rsyslog!.start();
    const up = await flushAuditSinks(config, 15_000);
    expect(up.map((s) => [s.name, s.ok, s.pending, s.delivered])).toEqual(sinks.map((s) => [s.name, true, 0, 200]));

    const ids = (await logEvents(config.log)).map((e) => e.id);
    expect(ids).toHaveLength(205);
    for (const s of sinks) {
      const records = await receivedBy(s.transport, 205);
      const seen = new Set<string>();
      const arrived: string[] = [];
      for (const r of records) {
        const id = (JSON.parse(r.msg) as AuditEvent).id;
        if (!seen.has(id)) arrived.push(id);
        seen.add(id);
      }
      expect(arrived).toEqual(ids);
    }
    for (const s of sinks) expect((await fs.stat(join(config.spoolDir, `${s.name}.cursor`))).mode & 0o777).toBe(0o600);
  });

  (tls ? test : test.skip)('TLS without the CA: rsyslog\'s certificate is refused, nothing is sent, events stay spooled', async () => {
    const config = auditConfig([sink('siem-tls', 'tls', { caFile: undefined })]);
    const logger = new AuditLogger(config, actor);
    await logger.record({ event: 'accessed', secret: 'local:x', secret_type: null, store: 'local', success: true, error_code: null, details: {} });
    const [status] = await logger.close();
    expect(status).toMatchObject({ name: 'siem-tls', ok: false, pending: 1, delivered: 0, problem: 'unreachable', error: expect.stringMatching(/certificate/) });
    await new Promise((r) => setTimeout(r, 300));
    expect((await rsyslog!.received()).filter((r) => r.input === 'tls')).toEqual([]);
    await expect(fs.stat(join(config.spoolDir, 'siem-tls.cursor'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  test('the CLI with a [[audit.sinks]] syslog sink from TOML (facility by name) feeds rsyslog', async () => {
    const home = join(dir, 'home');
    const cfg = join(dir, 'vh.toml');
    await fs.writeFile(
      cfg,
      `[[audit.sinks]]
type = "syslog"
name = "siem"
address = "tcp://127.0.0.1:${rsyslog!.tcpPort}"
facility = "local4"
app_name = "vh-secrets"
`,
    );
    const env = baseEnv(home, { VH_SECRETS_CONFIG: cfg });
    const r = await run(['create', 'app/token', '--type', 'api_key', '--generate'], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/audit sink/);
    const [record] = await receivedBy('tcp', 1);
    expect(record).toMatchObject({ facility: '20', severity: '6', msgid: 'created', app_name: 'vh-secrets' });
    expect(JSON.parse(record!.msg)).toMatchObject({ event: 'created', secret: 'local:app/token', secret_type: 'api_key', success: true });
  });
});
