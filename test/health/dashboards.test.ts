import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { ROOT, baseEnv, tempHome } from '../helpers/cli.js';
import { servedMetrics } from '../helpers/exporter.js';
import { promtool } from './promtool.js';

/**
 * The Grafana dashboards in deploy/grafana/: valid dashboard JSON (schemaVersion, unique uid, unique panel ids,
 * every panel placed and fed from the datasource variable), every panel expression parsed by promtool (one
 * recording rule per expression, `promtool check rules`), and every metric they read served by the exporter.
 */
const DIR = join(ROOT, 'deploy', 'grafana');
const EXPECTED = ['access.json', 'compliance.json', 'rotation.json', 'secret-lifecycle.json', 'system-health.json'];

interface Target {
  refId: string;
  expr: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown }[] };
}

let home: string;
beforeEach(() => {
  home = tempHome('vh-dashboards-');
});
afterEach(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

async function dashboards(): Promise<[string, Dashboard][]> {
  const files = (await fs.readdir(DIR)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(files.map(async (f) => [f, JSON.parse(await fs.readFile(join(DIR, f), 'utf8')) as Dashboard] as [string, Dashboard]));
}

const flat = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...flat(p.panels ?? [])]);

/** Grafana's variables, as Prometheus would see them once Grafana has filled them in. */
const substitute = (expr: string) => expr.replaceAll('$__rate_interval', '5m').replaceAll('$__range', '1h').replaceAll('$store', '.*');

const metricNames = (expr: string) => [...expr.matchAll(/\b((?:voicehive|secret)_[a-z_]+)\b/g)].map((m) => m[1]!);

test('valid dashboard JSON: schemaVersion, unique uids, unique panel ids, placed panels, datasource variable', async () => {
  const all = await dashboards();
  expect(all.map(([f]) => f)).toEqual(EXPECTED);
  expect(new Set(all.map(([, d]) => d.uid)).size).toBe(all.length);
  for (const [file, d] of all) {
    const where = `${file}`;
    expect({ where, schemaVersion: Number.isInteger(d.schemaVersion) && d.schemaVersion >= 30 }).toEqual({ where, schemaVersion: true });
    expect(d.title).toMatch(/^vh-secrets: /);
    expect(d.templating.list.map((v) => v.name)).toEqual(['datasource', 'store']);
    const panels = flat(d.panels);
    expect(panels.length).toBeGreaterThan(4);
    const ids = panels.map((p) => p.id);
    expect({ where, duplicateIds: ids.filter((id, i) => ids.indexOf(id) !== i) }).toEqual({ where, duplicateIds: [] });
    for (const p of panels) {
      expect(Number.isInteger(p.id) && p.id > 0).toBe(true);
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      expect(p.gridPos.h).toBeGreaterThan(0);
      if (p.type === 'row') continue;
      expect({ where, panel: p.title, datasource: p.datasource }).toEqual({ where, panel: p.title, datasource: { type: 'prometheus', uid: '${datasource}' } });
      expect((p.targets ?? []).length).toBeGreaterThan(0);
      const refs = (p.targets ?? []).map((t) => t.refId);
      expect(new Set(refs).size).toBe(refs.length);
    }
  }
});

(promtool ? test : test.skip)('every panel expression parses (promtool check rules over one recording rule per expression)', async () => {
  const exprs = (await dashboards()).flatMap(([, d]) => flat(d.panels).flatMap((p) => (p.targets ?? []).map((t) => substitute(t.expr))));
  expect(exprs.length).toBeGreaterThan(40);
  const rules = `groups:\n  - name: dashboards\n    rules:\n${exprs.map((e, i) => `      - record: dashboard:expr_${i}\n        expr: ${JSON.stringify(e)}\n`).join('')}`;
  const file = join(home, 'dashboards.rules.yml');
  await fs.writeFile(file, rules);
  const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
  expect(r.stdout + r.stderr).toMatch(new RegExp(`SUCCESS: ${exprs.length} rules found`));
  expect(r.status).toBe(0);
  // promtool is not fooled: a broken expression fails.
  await fs.writeFile(file, `groups:\n  - name: broken\n    rules:\n      - record: dashboard:broken\n        expr: ${JSON.stringify('sum by (store (voicehive_secrets)')}\n`);
  expect(spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' }).status).not.toBe(0);
});

test("every metric a dashboard reads is in the exporter's actual output", async () => {
  const used = new Set<string>();
  for (const [, d] of await dashboards()) {
    for (const p of flat(d.panels)) for (const t of p.targets ?? []) for (const m of metricNames(t.expr)) used.add(m);
    for (const v of d.templating.list) for (const m of metricNames(JSON.stringify(v.query))) used.add(m);
  }
  expect(used.size).toBeGreaterThan(15);
  const served = await servedMetrics(baseEnv(home, { CI: 'true' }));
  const samples = new Set([...served.matchAll(/^([a-z_]+)[{ ]/gm)].map((m) => m[1]!));
  const typed = new Set([...served.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
  expect([...used].filter((n) => !samples.has(n) && !typed.has(n))).toEqual([]);
});
