import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { ROOT, baseEnv, tempHome } from '../helpers/cli.js';
import { servedMetrics } from '../helpers/exporter.js';
import { promtool } from './promtool.js';

/**
 * The monitoring recipes beyond Prometheus: Google Cloud Monitoring alert policies (deploy/gcp/alert-policies/,
 * PromQL conditions for Managed Service for Prometheus) and Datadog monitors (deploy/datadog/monitors.json, over
 * the Agent's OpenMetrics check in openmetrics.yaml). Each is parsed — the policies' shape and their PromQL by
 * promtool, the monitors' queries by a parser of Datadog's query-alert grammar — and every metric they read is
 * one the exporter actually serves.
 */
const GCP = join(ROOT, 'deploy', 'gcp', 'alert-policies');
const DD = join(ROOT, 'deploy', 'datadog');

let home: string;
beforeEach(() => {
  home = tempHome('vh-recipes-');
});
afterEach(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

interface Exposition {
  /** metric family name → its TYPE */
  types: Map<string, string>;
}

async function exposition(): Promise<Exposition> {
  const body = await servedMetrics(baseEnv(home, { CI: 'true' }));
  return { types: new Map([...body.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!])) };
}

// ---- Google Cloud Monitoring ----

interface GcpCondition {
  displayName: string;
  conditionPrometheusQueryLanguage?: { query: string; duration: string; evaluationInterval: string; alertRule?: string };
  [other: string]: unknown;
}
interface GcpPolicy {
  displayName: string;
  combiner: string;
  severity?: string;
  enabled?: boolean;
  documentation?: { content: string; mimeType: string };
  userLabels?: Record<string, string>;
  conditions: GcpCondition[];
  [other: string]: unknown;
}

const POLICY_FIELDS = new Set(['displayName', 'documentation', 'userLabels', 'conditions', 'combiner', 'enabled', 'notificationChannels', 'alertStrategy', 'severity']);
const CONDITION_KINDS = ['conditionThreshold', 'conditionAbsent', 'conditionMatchedLog', 'conditionMonitoringQueryLanguage', 'conditionPrometheusQueryLanguage', 'conditionSql'];

/** The AlertPolicy resource's rules that `gcloud monitoring policies create --policy-from-file` enforces. */
function policyProblems(p: GcpPolicy): string[] {
  const problems: string[] = [];
  for (const k of Object.keys(p)) if (!POLICY_FIELDS.has(k)) problems.push(`unknown field ${k}`);
  if (typeof p.displayName !== 'string' || p.displayName === '') problems.push('displayName missing');
  if (!['AND', 'OR', 'AND_WITH_MATCHING_RESOURCE'].includes(p.combiner)) problems.push(`combiner ${String(p.combiner)}`);
  if (p.severity !== undefined && !['CRITICAL', 'ERROR', 'WARNING'].includes(p.severity)) problems.push(`severity ${p.severity}`);
  if (p.documentation && p.documentation.mimeType !== 'text/markdown') problems.push('documentation.mimeType');
  for (const [k, v] of Object.entries(p.userLabels ?? {})) if (!/^[a-z][a-z0-9_-]{0,62}$/.test(k) || !/^[a-z0-9_-]{0,63}$/.test(v)) problems.push(`userLabel ${k}`);
  if (!Array.isArray(p.conditions) || p.conditions.length === 0 || p.conditions.length > 6) problems.push('conditions: 1 to 6');
  for (const c of p.conditions ?? []) {
    const kinds = Object.keys(c).filter((k) => k !== 'displayName');
    if (!c.displayName) problems.push('condition displayName missing');
    if (kinds.length !== 1 || !CONDITION_KINDS.includes(kinds[0]!)) problems.push(`condition kinds ${kinds.join(',')}`);
    const q = c.conditionPrometheusQueryLanguage;
    if (!q) continue;
    if (typeof q.query !== 'string' || q.query.trim() === '') problems.push('query missing');
    if (!/^\d+s$/.test(q.duration)) problems.push(`duration ${q.duration}`);
    if (!/^\d+s$/.test(q.evaluationInterval) || Number.parseInt(q.evaluationInterval, 10) < 30) problems.push(`evaluationInterval ${q.evaluationInterval}`);
    if (q.alertRule !== undefined && !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(q.alertRule)) problems.push(`alertRule ${q.alertRule}`);
  }
  return problems;
}

async function policies(): Promise<[string, GcpPolicy][]> {
  const files = (await fs.readdir(GCP)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(files.map(async (f) => [f, JSON.parse(await fs.readFile(join(GCP, f), 'utf8')) as GcpPolicy] as [string, GcpPolicy]));
}

// ---- Datadog ----

interface Monitor {
  name: string;
  type: string;
  query: string;
  message: string;
  options: { thresholds: { critical: number; warning?: number } };
}

interface MetricQuery {
  space: string;
  metric: string;
  scope: string[];
  by: string[];
  as: string | null;
}
interface ParsedMonitorQuery {
  timeAggregation: string;
  window: string;
  metrics: MetricQuery[];
  comparator: string;
  threshold: number;
}

/**
 * Datadog's query-alert grammar, as far as these monitors use it:
 *   TIMEAGG(last_N[mhdw]):EXPR CMP NUMBER
 *   EXPR   := TERM (('+'|'-') TERM)*;  TERM := FACTOR (('*'|'/') FACTOR)*;  FACTOR := NUMBER | '(' EXPR ')' | METRIC
 *   METRIC := SPACEAGG ':' name '{' scope '}' [' by {' tags '}'] ['.as_count()' | '.as_rate()']
 * Throws on anything else, naming where.
 */
function parseMonitorQuery(query: string): ParsedMonitorQuery {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`${what} at ${i}: …${query.slice(i, i + 30)}`);
  };
  const ws = () => {
    while (query[i] === ' ') i++;
  };
  const take = (re: RegExp, what: string): string => {
    ws();
    const m = re.exec(query.slice(i));
    if (!m || m.index !== 0) fail(`expected ${what}`);
    i += m![0].length;
    return m![0];
  };
  const peek = (s: string) => {
    ws();
    return query.startsWith(s, i);
  };
  const metrics: MetricQuery[] = [];
  const head = take(/(avg|sum|min|max|change|pct_change)\(last_\d+[mhdw]\):/, 'TIMEAGG(last_N):');
  const [, timeAggregation, window] = /^(\w+)\((last_\w+)\):$/.exec(head)!;
  const metric = () => {
    const space = take(/(avg|sum|min|max):/, 'space aggregation').slice(0, -1);
    const name = take(/[a-z][a-z0-9_]*(\.[a-z0-9_]+)+/, 'metric name');
    take(/\{/, '{');
    const scope = take(/(\*|!?[a-z_]+:[A-Za-z0-9_.:/-]+(,!?[a-z_]+:[A-Za-z0-9_.:/-]+)*)/, 'scope').split(',');
    take(/\}/, '}');
    let by: string[] = [];
    if (peek('by')) {
      take(/by \{/, 'by {');
      by = take(/[a-z_]+(,[a-z_]+)*/, 'group tags').split(',');
      take(/\}/, '}');
    }
    const as = query.startsWith('.as_count()', i) ? '.as_count()' : query.startsWith('.as_rate()', i) ? '.as_rate()' : null;
    if (as) i += as.length;
    metrics.push({ space, metric: name, scope, by, as });
  };
  const factor = (): void => {
    if (peek('(')) {
      take(/\(/, '(');
      expr();
      take(/\)/, ')');
    } else if (/^\s*\d/.test(query.slice(i))) take(/\d+(\.\d+)?/, 'number');
    else metric();
  };
  const term = (): void => {
    factor();
    while (peek('*') || peek('/')) {
      i++;
      factor();
    }
  };
  const expr = (): void => {
    term();
    while (peek('+') || peek('-')) {
      i++;
      term();
    }
  };
  expr();
  const comparator = take(/(>=|<=|>|<|==)/, 'comparator');
  const threshold = Number(take(/-?\d+(\.\d+)?/, 'threshold'));
  ws();
  if (i !== query.length) fail('trailing text');
  return { timeAggregation: timeAggregation!, window: window!, metrics, comparator, threshold };
}

/** The Prometheus family a Datadog name (OpenMetrics check, latest mode) comes from, and the TYPE it needs. */
function prometheusSource(ddName: string, namespace: string): { family: string; types: string[] } {
  const raw = ddName.slice(namespace.length + 1);
  const m = /^(.*)\.(count|sum|bucket)$/.exec(raw);
  if (!m) return { family: raw, types: ['gauge'] };
  if (m[2] === 'count') return { family: m[1]!, types: ['counter', 'histogram'] };
  return { family: m[1]!, types: ['histogram'] };
}

test('GCP alert policies: AlertPolicy shape, PromQL parsed by promtool, one per seed alert of alerts.yml', async () => {
  const all = await policies();
  expect(all.length).toBeGreaterThanOrEqual(4);
  for (const [file, p] of all) expect({ file, problems: policyProblems(p) }).toEqual({ file, problems: [] });
  // The checker is not a rubber stamp.
  expect(policyProblems({ ...all[0]![1], combiner: 'EITHER', colour: 'red' } as GcpPolicy)).toHaveLength(2);
  const rules = await fs.readFile(join(ROOT, 'deploy', 'prometheus', 'alerts.yml'), 'utf8');
  const alerts = new Set([...rules.matchAll(/^\s*- alert: (\S+)$/gm)].map((m) => m[1]!));
  const conditions = all.flatMap(([, p]) => p.conditions.map((c) => c.conditionPrometheusQueryLanguage!));
  for (const c of conditions) expect(alerts).toContain(c.alertRule);
  for (const name of ['SecretExpiryWarning', 'SecretRotationFailure', 'HighSecretRetrievalFailureRate', 'SecretAccessAnomaly']) expect(conditions.map((c) => c.alertRule)).toContain(name);
  if (promtool) {
    const file = join(home, 'gcp.rules.yml');
    await fs.writeFile(file, `groups:\n  - name: gcp\n    rules:\n${conditions.map((c, i) => `      - record: gcp:condition_${i}\n        expr: ${JSON.stringify(c.query)}\n`).join('')}`);
    const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toMatch(new RegExp(`SUCCESS: ${conditions.length} rules found`));
  }
});

test('Datadog monitors: query-alert grammar, thresholds agree with the query, names from the OpenMetrics check', async () => {
  const monitors = JSON.parse(await fs.readFile(join(DD, 'monitors.json'), 'utf8')) as Monitor[];
  expect(monitors.length).toBeGreaterThanOrEqual(4);
  const conf = await fs.readFile(join(DD, 'openmetrics.yaml'), 'utf8');
  const namespace = /^\s+namespace: (\S+)$/m.exec(conf)?.[1];
  expect(namespace).toBe('vh_secrets');
  expect(conf).toMatch(/^\s+- openmetrics_endpoint: http:\/\/127\.0\.0\.1:9469\/metrics$/m);
  const block = /^ {4}metrics:\n((?: {6}- \S+\n)+)/m.exec(conf)?.[1] ?? '';
  const patterns = [...block.matchAll(/^ {6}- (\S+)$/gm)].map((m) => new RegExp(`^(?:${m[1]!})$`));
  expect(patterns.length).toBe(4);
  const names = new Set<string>();
  for (const m of monitors) {
    const where = m.name;
    expect({ where, type: m.type }).toEqual({ where, type: 'query alert' });
    expect(m.message.length).toBeGreaterThan(20);
    const q = parseMonitorQuery(m.query);
    expect({ where, critical: m.options.thresholds.critical }).toEqual({ where, critical: q.threshold });
    if (m.options.thresholds.warning !== undefined) {
      const below = q.comparator.startsWith('>');
      expect({ where, warningBeforeCritical: below ? m.options.thresholds.warning < q.threshold : m.options.thresholds.warning > q.threshold }).toEqual({ where, warningBeforeCritical: true });
    }
    for (const mq of q.metrics) {
      expect(mq.metric.startsWith(`${namespace}.`)).toBe(true);
      // A count of a counter or histogram is read as a count, never as an average of a running total.
      if (/\.(count|sum)$/.test(mq.metric)) expect({ where, metric: mq.metric, as: mq.as }).toEqual({ where, metric: mq.metric, as: '.as_count()' });
      names.add(mq.metric);
    }
  }
  // The parser is not a rubber stamp.
  for (const bad of ['avg(last_5m):vh_secrets.x{*} > 1', 'avg(last_5m):sum:vh_secrets.x{*} by {store > 1', 'avg(last_5m):sum:vh_secrets.x{*} >', 'avg(5m):sum:vh_secrets.x{*} > 1']) {
    expect(() => parseMonitorQuery(bad)).toThrow();
  }

  const { types } = await exposition();
  for (const n of names) {
    const { family, types: wanted } = prometheusSource(n, namespace!);
    const exposedAs = types.get(family) ?? types.get(`${family}_total`);
    const name = types.has(family) ? family : `${family}_total`;
    expect({ metric: n, family: name, type: exposedAs !== undefined && wanted.includes(exposedAs) }).toEqual({ metric: n, family: name, type: true });
    expect({ metric: n, collected: patterns.some((p) => p.test(name)) }).toEqual({ metric: n, collected: true });
  }
});

test("every metric the GCP policies read is in the exporter's output", async () => {
  const queries = (await policies()).flatMap(([, p]) => p.conditions.map((c) => c.conditionPrometheusQueryLanguage!.query));
  const used = new Set(queries.flatMap((q) => [...q.matchAll(/\b((?:voicehive|secret)_[a-z_]+)\b/g)].map((m) => m[1]!)));
  const { types } = await exposition();
  expect([...used].filter((n) => !types.has(n))).toEqual([]);
});
