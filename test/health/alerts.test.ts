import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { ROOT, baseEnv, tempHome } from '../helpers/cli.js';
import { servedMetrics } from '../helpers/exporter.js';
import { promtool } from './promtool.js';

/**
 * deploy/prometheus/alerts.yml against its unit tests (alerts.test.yml, `promtool test rules`): every alert is
 * tested, the tests fail when a rule changes, and every vh-secrets metric a rule reads is one the exporter serves.
 */
const DIR = join(ROOT, 'deploy', 'prometheus');
const maybe = promtool ? test : test.skip;
if (!promtool) process.stderr.write('promtool not installed: alert rule unit tests not run locally (CI installs the prometheus package)\n');

let home: string;
beforeEach(() => {
  home = tempHome('vh-alerts-');
});
afterEach(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

const alertNames = (rules: string) => [...new Set([...rules.matchAll(/^\s*- alert: (\S+)$/gm)].map((m) => m[1]!))];

maybe('promtool test rules: every alert of alerts.yml has unit tests, and they pass', async () => {
  const rules = await fs.readFile(join(DIR, 'alerts.yml'), 'utf8');
  const tests = await fs.readFile(join(DIR, 'alerts.test.yml'), 'utf8');
  const names = alertNames(rules);
  expect(names).toEqual(expect.arrayContaining(['SecretExpiryWarning', 'SecretRotationFailure', 'SecretRotationFailures', 'SecretAccessAnomaly', 'HighSecretRetrievalFailureRate']));
  const tested = new Set([...tests.matchAll(/alertname: (\S+)$/gm)].map((m) => m[1]!));
  expect(names.filter((n) => !tested.has(n))).toEqual([]);
  const r = spawnSync('promtool', ['test', 'rules', join(DIR, 'alerts.test.yml')], { encoding: 'utf8' });
  expect(r.stdout + r.stderr).toMatch(/SUCCESS/);
  expect(r.status).toBe(0);
});

maybe('the unit tests catch a changed rule', async () => {
  await fs.copyFile(join(DIR, 'alerts.test.yml'), join(home, 'alerts.test.yml'));
  const rules = await fs.readFile(join(DIR, 'alerts.yml'), 'utf8');
  const changed = rules.replace(/\) > 0\.1\n/, ') > 0.2\n');
  expect(changed).not.toBe(rules);
  await fs.writeFile(join(home, 'alerts.yml'), changed);
  const r = spawnSync('promtool', ['test', 'rules', join(home, 'alerts.test.yml')], { encoding: 'utf8' });
  expect(r.status).not.toBe(0);
  expect(r.stdout + r.stderr).toMatch(/HighSecretRetrievalFailureRate/);
});

test("every vh-secrets metric the rules read is in the exporter's output", async () => {
  const rules = await fs.readFile(join(DIR, 'alerts.yml'), 'utf8');
  const exprs = [...rules.matchAll(/expr: (?:\|\n((?:\s{10}.*\n)+)|(.*)\n)/g)].map((m) => m[1] ?? m[2] ?? '');
  const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\b((?:voicehive|secret)_[a-z_]+)\b/g)].map((m) => m[1]!)));
  expect(used.size).toBeGreaterThan(8);
  const served = await servedMetrics(baseEnv(home, { CI: 'true' }));
  const exposed = new Set([...served.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
  expect([...used].filter((n) => !exposed.has(n))).toEqual([]);
});
