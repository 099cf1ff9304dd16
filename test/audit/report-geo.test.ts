import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_ANOMALY_CONFIG } from '../../src/audit/anomaly-config.js';
import type { AuditConfig } from '../../src/audit/config.js';
import { buildAuditReport } from '../../src/audit/review.js';
import { tempHome } from '../helpers/cli.js';
import { writeCountryMmdb } from '../helpers/mmdb-writer.js';

/**
 * GEOGRAPHIC_VIOLATION and UNUSUAL_LOCATION by country, through a real MaxMind-format database written by
 * test/helpers/mmdb-writer.ts (cross-checked against libmaxminddb's mmdblookup in geo.test.ts).
 */

const event = (i: number, ip: string) =>
  JSON.stringify({ actor: 'alice', actor_type: 'user', details: {}, error_code: null, event: 'accessed', host: 'h', id: `g${i}`, prev: '0'.repeat(64), secret: 'local:app/db', secret_type: null, source_ip: ip, store: 'local', success: true, ts: new Date(Date.UTC(2026, 0, 7, 10, i)).toISOString(), hash: '0'.repeat(64) });

test('countries from a .mmdb database: outside VOICEHIVE_ALLOWED_COUNTRIES is a violation, a new country unusual', async () => {
  const dir = tempHome('vh-audit-geo-');
  try {
    const db = join(dir, 'country.mmdb');
    await writeCountryMmdb(db, [{ cidr: '198.51.100.0/24', country: 'DE' }, { cidr: '203.0.113.0/24', country: 'KP' }]);
    const log = join(dir, 'audit.log');
    const lines = Array.from({ length: 12 }, (_, i) => event(i, `198.51.100.${i + 1}`));
    lines.push(event(30, '203.0.113.7'));
    await fs.writeFile(log, lines.join('\n') + '\n');
    const config: AuditConfig = {
      log, hmacKey: undefined, anchor: undefined, sinks: [], flushTimeoutMs: 2000, spoolDir: join(dir, 'spool'),
      anomalies: { ...DEFAULT_ANOMALY_CONFIG, geoipDb: db, allowedCountries: ['DE', 'IE'] },
    };
    const rep = await buildAuditReport(config, {
      period: { since: new Date(Date.UTC(2026, 0, 7, 10, 20)), until: new Date(Date.UTC(2026, 0, 7, 12)) },
    });
    const geo = rep.anomalies.filter((a) => a.kind === 'GEOGRAPHIC_VIOLATION');
    expect(geo).toHaveLength(1);
    expect(geo[0]!.reason).toMatch(/country KP is not among the allowed countries \(DE, IE\)/);
    const unusual = rep.anomalies.filter((a) => a.kind === 'UNUSUAL_LOCATION');
    expect(unusual).toHaveLength(1);
    expect(unusual[0]!.reason).toMatch(/country KP \(203\.0\.113\.7\), never seen for it before; its baseline: 12 earlier event\(s\) from 1 location\(s\) \(DE\)/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('allowed countries without a geoip_db: the report says the country check was skipped', async () => {
  const dir = tempHome('vh-audit-geo-');
  try {
    const log = join(dir, 'audit.log');
    await fs.writeFile(log, `${event(1, '203.0.113.7')}\n`);
    const config: AuditConfig = { log, hmacKey: undefined, anchor: undefined, sinks: [], flushTimeoutMs: 2000, spoolDir: join(dir, 'spool'), anomalies: { ...DEFAULT_ANOMALY_CONFIG, allowedCountries: ['DE'] } };
    const rep = await buildAuditReport(config, { period: { since: new Date(Date.UTC(2026, 0, 7)), until: new Date(Date.UTC(2026, 0, 8)) }});
    expect(rep.notes.join('\n')).toMatch(/allowed countries are configured but no geoip_db is: country checks were skipped/);
    expect(rep.anomalies.filter((a) => a.kind === 'GEOGRAPHIC_VIOLATION')).toHaveLength(0);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
