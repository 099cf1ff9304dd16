import { mkdirSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/core/config.js';
import { DEFAULT_ANOMALY_CONFIG } from '../../src/audit/anomaly-config.js';
import { tempHome } from '../helpers/cli.js';

let dir: string;
beforeEach(() => {
  dir = tempHome('vh-config-audit-');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const load = async (text: string, environ: NodeJS.ProcessEnv = {}) => {
  const path = join(dir, 'etc', 'vh.toml');
  mkdirSync(join(dir, 'etc'), { recursive: true });
  await fs.writeFile(path, text);
  return loadConfig({ cwd: dir, configFile: path, environ: { HOME: dir, VH_SECRETS_HOME: join(dir, 'h'), ...environ } });
};

describe('[audit] configuration', () => {
  test('defaults: no sinks, spool under the home, 2 s flush bound, default thresholds', async () => {
    const cfg = await load('');
    expect(cfg.audit).toEqual({
      log: join(dir, 'h', 'audit.log'),
      hmacKey: undefined,
      anchor: undefined,
      sinks: [],
      flushTimeoutMs: 2000,
      spoolDir: join(dir, 'h', 'spool'),
      anomalies: DEFAULT_ANOMALY_CONFIG,
      indexDir: join(dir, 'h', 'cache', 'audit-index'),
    });
  });

  test('sinks, anchor and anomaly thresholds, paths relative to the file, ${VAR} in headers', async () => {
    const cfg = await load(
      `[audit]
log = "logs/audit.log"
anchor = "../anchor/audit.head"
flush_timeout_ms = 1500

[[audit.sinks]]
type = "http"
name = "vector"
url = "https://collector.example:8080/audit"
headers = { Authorization = "Bearer \${AUDIT_TOKEN}" }
ca_file = "ca.pem"
batch_size = 100

[[audit.sinks]]
type = "syslog"
address = "udp://[::1]:5514"
facility = "local3"

[audit.anomalies]
business_hours = "08-18"
timezone = "Europe/Berlin"
weekends_unusual = true
excessive_access = { min_count = 10 }
enumeration = { window_minutes = 30, distinct_secrets = 5 }
allowed_ip_ranges = ["10.0.0.0/8"]
allowed_countries = ["de", "IE"]
geoip_db = "geo/country.mmdb"
baseline_hours = 168
`,
      { AUDIT_TOKEN: 'tok' },
    );
    const etc = join(dir, 'etc');
    expect(cfg.audit.log).toBe(join(etc, 'logs', 'audit.log'));
    expect(cfg.audit.anchor).toBe(join(dir, 'anchor', 'audit.head'));
    expect(cfg.audit.flushTimeoutMs).toBe(1500);
    expect(cfg.audit.sinks).toEqual([
      { kind: 'http', name: 'vector', url: 'https://collector.example:8080/audit', headers: { Authorization: 'Bearer tok' }, caFile: join(etc, 'ca.pem'), timeoutMs: 5000, batchSize: 100 },
      { kind: 'syslog', name: 'syslog-2', transport: 'udp', host: '::1', port: 5514, facility: 19, appName: 'vh-secrets', caFile: undefined, timeoutMs: 5000 },
    ]);
    expect(cfg.audit.anomalies).toEqual({
      ...DEFAULT_ANOMALY_CONFIG,
      businessHours: { start: 8, end: 18 },
      timezone: 'Europe/Berlin',
      weekendsUnusual: true,
      excessiveAccess: { ...DEFAULT_ANOMALY_CONFIG.excessiveAccess, minCount: 10 },
      enumeration: { windowMinutes: 30, distinctSecrets: 5 },
      allowedIpRanges: ['10.0.0.0/8'],
      allowedCountries: ['DE', 'IE'],
      geoipDb: join(etc, 'geo', 'country.mmdb'),
      baselineHours: 168,
    });
  });

  test('VOICEHIVE_ALLOWED_IP_RANGES / VOICEHIVE_ALLOWED_COUNTRIES override the file', async () => {
    const cfg = await load('[audit.anomalies]\nallowed_countries = ["DE"]\n', { VOICEHIVE_ALLOWED_IP_RANGES: '10.0.0.0/8, 192.168.0.0/16', VOICEHIVE_ALLOWED_COUNTRIES: 'ie,fr' });
    expect(cfg.audit.anomalies.allowedIpRanges).toEqual(['10.0.0.0/8', '192.168.0.0/16']);
    expect(cfg.audit.anomalies.allowedCountries).toEqual(['IE', 'FR']);
    await expect(load('', { VOICEHIVE_ALLOWED_COUNTRIES: 'Germany' })).rejects.toMatchObject({ code: 'CONFIG' });
  });

  test.each([
    ['[[audit.sinks]]\ntype = "kafka"\n', /audit\.sinks\.type: unknown sink type "kafka"/],
    ['[[audit.sinks]]\ntype = "http"\nurl = "ftp://x"\n', /audit\.sinks\.url: must be an http/],
    ['[[audit.sinks]]\ntype = "http"\nurl = "https://u:p@x/"\n', /must not carry credentials/],
    ['[[audit.sinks]]\ntype = "http"\nurl = "https://x/"\nheaders = { "Bad Name" = "v" }\n', /header "Bad Name"/],
    ['[[audit.sinks]]\ntype = "syslog"\naddress = "127.0.0.1:514"\n', /address: must be tcp:\/\/host:port/],
    ['[[audit.sinks]]\ntype = "syslog"\naddress = "tcp://h:514"\nfacility = "nope"\n', /facility: must be a facility name/],
    ['[[audit.sinks]]\ntype = "syslog"\naddress = "tcp://h:514"\nurl = "x"\n', /url: unknown setting for a syslog sink/],
    ['[[audit.sinks]]\ntype = "http"\nname = "a"\nurl = "http://x/"\n[[audit.sinks]]\ntype = "http"\nname = "a"\nurl = "http://y/"\n', /two sinks are named "a"/],
    ['[audit]\nflush_timeout_ms = -1\n', /flush_timeout_ms: must be a whole number/],
    ['[audit.anomalies]\nbusiness_hours = "20-07"\n', /business_hours: must be "HH-HH"/],
    ['[audit.anomalies]\ntimezone = "Mars/Olympus"\n', /timezone: must be an IANA time zone/],
    ['[audit.anomalies]\nfailed_attempts = { threshold = 0 }\n', /failed_attempts\.threshold: must be a whole number/],
    ['[audit.anomalies]\nenumeration = { distinct = 3 }\n', /enumeration\.distinct: unknown setting/],
    ['[audit.anomalies]\nallowed_countries = ["Germany"]\n', /allowed_countries: must be an array of ISO 3166/],
    ['[audit.anomalies]\nfoo = 1\n', /audit\.anomalies\.foo: unknown setting/],
    ['[audit.anomalies]\nbaseline_hours = "3d"\n', /baseline_hours: must be a whole number/],
  ])('a bad [audit] setting names file, line and field: %s', async (text, message) => {
    const err = await load(text).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CONFIG' });
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toMatch(/vh\.toml:\d+: /);
  });
});
