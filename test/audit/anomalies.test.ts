import { DEFAULT_ANOMALY_CONFIG, type AnomalyConfig } from '../../src/audit/anomaly-config.js';
import { AnomalyDetector, EVIDENCE_CAP, networkOf, type Anomaly, type GeoLookup } from '../../src/audit/anomalies.js';
import { parseIpRanges } from '../../src/audit/geo.js';
import type { AuditRecord } from '../../src/audit/sources/types.js';

const H = 3_600_000;
const M = 60_000;
/** A Wednesday, 10:00 UTC. */
const DAY = Date.UTC(2026, 0, 7);
const T0 = DAY + 10 * H;

let seq = 0;
function rec(over: Partial<AuditRecord> & { ts: number }): AuditRecord {
  seq++;
  return {
    id: `e${seq}`,
    source: 'native',
    event: 'accessed',
    action: over.event ?? 'accessed',
    secret: 'local:app/db',
    store: 'local',
    actor: 'alice',
    actorType: 'user',
    sourceIp: null,
    host: 'h1',
    success: true,
    errorCode: null,
    privileged: false,
    file: 'audit.log',
    line: seq,
    ...over,
  };
}

function detect(records: AuditRecord[], since: number, until: number, config: Partial<AnomalyConfig> = {}, geo?: GeoLookup): Anomaly[] {
  const d = new AnomalyDetector({ config: { ...DEFAULT_ANOMALY_CONFIG, ...config }, since, until, ...(geo ? { geo } : {}) });
  for (const r of records) d.observe(r);
  return d.finish().anomalies;
}

const kinds = (a: Anomaly[]) => a.map((x) => `${x.kind}:${x.actor}`).sort();

describe('anomaly detectors', () => {
  test('EXCESSIVE_ACCESS is judged against the actor\'s own baseline, not only the fixed floor', () => {
    const records: AuditRecord[] = [];
    // Three days of history: "batch" reads 200 times an hour (a busy service), "alice" 5 times an hour.
    for (let h = 0; h < 72; h++) {
      const start = T0 - 72 * H + h * H;
      for (let i = 0; i < 200; i++) records.push(rec({ ts: start + i * 1000, actor: 'batch', host: 'b1' }));
      for (let i = 0; i < 5; i++) records.push(rec({ ts: start + i * 60_000, actor: 'alice' }));
    }
    // In the period: batch reads 300 times (1.5× its habit: fine); alice 60 times (above max(50, 5 × 5) = 50).
    for (let i = 0; i < 300; i++) records.push(rec({ ts: T0 + i * 1000, actor: 'batch', host: 'b1' }));
    for (let i = 0; i < 60; i++) records.push(rec({ ts: T0 + i * 1000, actor: 'alice' }));
    const found = detect(records, T0, T0 + 2 * H).filter((a) => a.kind === 'EXCESSIVE_ACCESS');
    expect(found.map((a) => a.actor)).toEqual(['alice']);
    expect(found[0]!.count).toBe(60);
    expect(found[0]!.reason).toMatch(/median of 5 reads per active 60-min window over 72 earlier window/);
    expect(found[0]!.reason).toMatch(/threshold max\(50, 5 × 5\) = 50/);
    expect(found[0]!.window).toEqual({ start: new Date(T0).toISOString(), end: new Date(T0 + H).toISOString() });
    // Evidence is bounded and points at lines.
    expect(found[0]!.evidence.events).toHaveLength(EVIDENCE_CAP);
    expect(found[0]!.evidence).toMatchObject({ total: 60, truncated: true });
    expect(found[0]!.evidence.events[0]).toMatchObject({ file: 'audit.log', source: 'native', action: 'accessed' });

    // Without history the fixed floor applies: 60 > 50 for batch too.
    const fresh = detect(records.filter((r) => r.ts >= T0), T0, T0 + 2 * H).filter((a) => a.kind === 'EXCESSIVE_ACCESS');
    expect(fresh.map((a) => a.actor).sort()).toEqual(['alice', 'batch']);
  });

  test('FAILED_ATTEMPTS counts failures per actor within the window, with the error codes', () => {
    const records = [
      ...Array.from({ length: 4 }, (_, i) => rec({ ts: T0 + i * M, success: false, errorCode: 'PERMISSION_DENIED', actor: 'mallory' })),
      rec({ ts: T0 + 5 * M, success: false, errorCode: 'NOT_FOUND', actor: 'mallory' }),
      // 4 failures by bob: below the threshold of 5.
      ...Array.from({ length: 4 }, (_, i) => rec({ ts: T0 + i * M, success: false, errorCode: 'NOT_FOUND', actor: 'bob' })),
    ];
    const found = detect(records, T0 - H, T0 + H).filter((a) => a.kind === 'FAILED_ATTEMPTS');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ actor: 'mallory', count: 5, severity: 'medium', secret: 'local:app/db' });
    expect(found[0]!.reason).toMatch(/5 failed action\(s\) by mallory within 15 min \(PERMISSION_DENIED 4, NOT_FOUND 1\); threshold 5/);
    // Thresholds are configurable.
    expect(detect(records, T0 - H, T0 + H, { failedAttempts: { windowMinutes: 15, threshold: 4 } }).filter((a) => a.kind === 'FAILED_ATTEMPTS').map((a) => a.actor).sort()).toEqual(['bob', 'mallory']);
  });

  test('CONCURRENT_ACCESS: two places at once for a one-place actor; a service on three hosts is its habit', () => {
    const records: AuditRecord[] = [];
    for (let m = 0; m < 120; m++) {
      const ts = T0 - 3 * H + m * M;
      records.push(rec({ ts, actor: 'alice', sourceIp: '10.0.0.5' }));
      for (const host of ['w1', 'w2', 'w3']) records.push(rec({ ts: ts + 100, actor: 'web', host }));
    }
    records.push(rec({ ts: T0 + 1_000, actor: 'alice', sourceIp: '10.0.0.5' }));
    records.push(rec({ ts: T0 + 20_000, actor: 'alice', sourceIp: '198.51.100.7' }));
    for (const host of ['w1', 'w2', 'w3']) records.push(rec({ ts: T0 + 2_000, actor: 'web', host }));
    const found = detect(records, T0, T0 + H).filter((a) => a.kind === 'CONCURRENT_ACCESS');
    expect(found.map((a) => a.actor)).toEqual(['alice']);
    expect(found[0]!.reason).toMatch(/2 places within 60 s \(10\.0\.0\.5, 198\.51\.100\.7\); its baseline is a median of 1 place/);
    // web from a fourth and fifth host at once: above its median of 3.
    records.push(...['w4', 'w5'].map((host) => rec({ ts: T0 + 3_000, actor: 'web', host })));
    expect(detect(records, T0, T0 + H).filter((a) => a.kind === 'CONCURRENT_ACCESS').map((a) => a.actor).sort()).toEqual(['alice', 'web']);
  });

  test('SUSPICIOUS_PATTERN: one actor reading many distinct secrets (enumeration)', () => {
    const records = Array.from({ length: 25 }, (_, i) => rec({ ts: T0 + i * 1000, actor: 'eve', secret: `local:app/s${i}`, success: i % 2 === 0, errorCode: i % 2 === 0 ? null : 'NOT_FOUND' }));
    records.push(...Array.from({ length: 30 }, (_, i) => rec({ ts: T0 + i * 1000, actor: 'app', secret: 'local:app/db' })));
    const found = detect(records, T0, T0 + H).filter((a) => a.kind === 'SUSPICIOUS_PATTERN');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ actor: 'eve', severity: 'high', secret: null, count: 25 });
    expect(found[0]!.reason).toMatch(/enumeration: eve touched 25 distinct secrets within 60 min .*12 of 25 attempts failed/);
    expect(detect(records, T0, T0 + H, { enumeration: { windowMinutes: 60, distinctSecrets: 30 } }).filter((a) => a.kind === 'SUSPICIOUS_PATTERN')).toHaveLength(0);
  });

  test('PRIVILEGE_ESCALATION: a privileged action outside the actor\'s own history of actions', () => {
    const before = T0 - 24 * H;
    const records = [
      // ops revokes routinely; app only reads.
      rec({ ts: before, actor: 'ops', event: 'revoked', action: 'revoked', privileged: true }),
      ...Array.from({ length: 10 }, (_, i) => rec({ ts: before + i * M, actor: 'app' })),
      rec({ ts: T0 + M, actor: 'ops', event: 'revoked', action: 'revoked', privileged: true }),
      rec({ ts: T0 + 2 * M, actor: 'app', event: 'revoked', action: 'revoked', privileged: true }),
      rec({ ts: T0 + 3 * M, actor: 'app', event: 'revoked', action: 'revoked', privileged: true }),
      rec({ ts: T0 + 4 * M, actor: 'ops', event: 'rotation_started', action: 'emergency_rotation', privileged: true }),
    ];
    const found = detect(records, T0, T0 + H).filter((a) => a.kind === 'PRIVILEGE_ESCALATION');
    expect(kinds(found)).toEqual(['PRIVILEGE_ESCALATION:app', 'PRIVILEGE_ESCALATION:ops']);
    const app = found.find((a) => a.actor === 'app')!;
    expect(app).toMatchObject({ severity: 'high', count: 2 });
    expect(app.reason).toMatch(/app performed the privileged action "revoked" 2 time\(s\), outside its own baseline: it performed no privileged action before \(over 10 earlier event/);
    expect(found.find((a) => a.actor === 'ops')!.reason).toMatch(/"emergency_rotation".*its baseline of privileged actions is revoked/);
  });

  test('UNUSUAL_TIME: outside business hours in the configured zone, weekends optional, habits excluded', () => {
    const night = DAY + 2 * H; // 02:00 UTC = 03:00 Berlin
    // An actor's usual: working hours (12:00 UTC) on three earlier days.
    const usual = (actor: string, before: number) => [1, 2, 3].map((d) => rec({ ts: before - d * 24 * H + 12 * H, actor }));
    const records = [...usual('alice', DAY), rec({ ts: night, actor: 'alice' }), rec({ ts: night + M, actor: 'alice' }), ...usual('bob', DAY), rec({ ts: T0, actor: 'bob' })];
    // cron runs at 03:00 every night: habitual before the period.
    for (let d = 1; d <= 3; d++) records.unshift(rec({ ts: night - d * 24 * H, actor: 'cron' }));
    records.push(rec({ ts: night, actor: 'cron' }));
    records.sort((a, b) => a.ts - b.ts);
    const found = detect(records, DAY, DAY + 24 * H, { timezone: 'Europe/Berlin' }).filter((a) => a.kind === 'UNUSUAL_TIME');
    expect(found.map((a) => a.actor)).toEqual(['alice']);
    expect(found[0]).toMatchObject({ count: 2, severity: 'low' });
    expect(found[0]!.reason).toMatch(/outside business hours 07:00–20:00 Europe\/Berlin; the actor was active off-hours on 0 of its earlier day\(s\)/);
    // 06:30 UTC is 07:30 in Berlin (inside) but 01:30 in New York (outside).
    const early = [...usual('dana', DAY), rec({ ts: DAY + 6.5 * H, actor: 'dana' })];
    expect(detect(early, DAY, DAY + 24 * H, { timezone: 'Europe/Berlin' }).filter((a) => a.kind === 'UNUSUAL_TIME')).toHaveLength(0);
    expect(detect(early, DAY, DAY + 24 * H, { timezone: 'America/New_York' }).filter((a) => a.kind === 'UNUSUAL_TIME')).toHaveLength(1);
    // Saturday noon: unusual only with weekendsUnusual (the usual days are Wed–Fri).
    const sat = Date.UTC(2026, 0, 10);
    const saturday = [...usual('sam', sat), rec({ ts: sat + 12 * H, actor: 'sam' })];
    expect(detect(saturday, sat, sat + 24 * H).filter((a) => a.kind === 'UNUSUAL_TIME')).toHaveLength(0);
    expect(detect(saturday, sat, sat + 24 * H, { weekendsUnusual: true }).filter((a) => a.kind === 'UNUSUAL_TIME')).toHaveLength(1);
  });

  test('UNUSUAL_TIME needs a usual first: an actor seen on fewer than three earlier days is not reported', () => {
    const night = DAY + 2 * H;
    // A first run at night (a new user, a fresh install, the demo): nothing to differ from.
    expect(detect([rec({ ts: night, actor: 'newbie' }), rec({ ts: night + M, actor: 'newbie', privileged: true, event: 'revoked', action: 'revoked' })], DAY, DAY + 24 * H).filter((a) => a.kind === 'UNUSUAL_TIME')).toEqual([]);
    // Two earlier days are not yet a usual; a third is.
    const two = [1, 2].map((d) => rec({ ts: DAY - d * 24 * H + 12 * H, actor: 'x' }));
    expect(detect([...two, rec({ ts: night, actor: 'x' })], DAY, DAY + 24 * H).filter((a) => a.kind === 'UNUSUAL_TIME')).toEqual([]);
    const three = [...two, rec({ ts: DAY - 3 * 24 * H + 12 * H, actor: 'x' })].sort((a, b) => a.ts - b.ts);
    expect(detect([...three, rec({ ts: night, actor: 'x' })], DAY, DAY + 24 * H).filter((a) => a.kind === 'UNUSUAL_TIME')).toHaveLength(1);
  });

  test('UNUSUAL_LOCATION: a new network for an actor with history; GEOGRAPHIC_VIOLATION: outside the allowed ranges', () => {
    const records = Array.from({ length: 12 }, (_, i) => rec({ ts: T0 - 2 * H + i * M, actor: 'alice', sourceIp: `10.1.2.${i + 1}` }));
    records.push(rec({ ts: T0 + M, actor: 'alice', sourceIp: '10.1.2.99' }));
    records.push(rec({ ts: T0 + 2 * M, actor: 'alice', sourceIp: '203.0.113.50' }));
    records.push(rec({ ts: T0 + 3 * M, actor: 'alice', sourceIp: '203.0.113.51' }));
    // newbie has no history: a first location is not "unusual".
    records.push(rec({ ts: T0 + M, actor: 'newbie', sourceIp: '198.51.100.1' }));
    const plain = detect(records, T0, T0 + H);
    const unusual = plain.filter((a) => a.kind === 'UNUSUAL_LOCATION');
    expect(unusual).toHaveLength(1);
    expect(unusual[0]).toMatchObject({ actor: 'alice', count: 2 });
    expect(unusual[0]!.reason).toMatch(/network 203\.0\.113\.0\/24, never seen for it before; its baseline: 13 earlier event\(s\) from 1 location\(s\) \(10\.1\.2\.0\/24\)/);
    expect(plain.filter((a) => a.kind === 'GEOGRAPHIC_VIOLATION')).toHaveLength(0);

    const geo: GeoLookup = { ranges: parseIpRanges(['10.0.0.0/8']), countries: null };
    const violations = detect(records, T0, T0 + H, { allowedIpRanges: ['10.0.0.0/8'] }, geo).filter((a) => a.kind === 'GEOGRAPHIC_VIOLATION');
    expect(violations.map((v) => `${v.actor} ${v.count}`).sort()).toEqual(['alice 1', 'alice 1', 'newbie 1']);
    expect(violations.every((v) => v.severity === 'high' && /outside the allowed IP ranges \(10\.0\.0\.0\/8\)/.test(v.reason))).toBe(true);
  });

  test('records before the period only build baselines; records after it are ignored', () => {
    const records = Array.from({ length: 80 }, (_, i) => rec({ ts: T0 - 5 * H + i * 1000, actor: 'alice', success: false, errorCode: 'NOT_FOUND' }));
    expect(detect(records, T0, T0 + H)).toEqual([]);
    expect(detect(records.map((r) => ({ ...r, ts: r.ts + 10 * H })), T0, T0 + H)).toEqual([]);
  });

  test('networkOf groups IPv4 by /24 and IPv6 by /48', () => {
    expect(networkOf('192.0.2.77')).toBe('192.0.2.0/24');
    expect(networkOf('2001:db8:abcd:12::1')).toBe('2001:db8:abcd::/48');
    expect(networkOf('2001:db8::1')).toBe('2001:db8:0::/48');
    expect(networkOf('not-an-ip')).toBeNull();
  });
});
