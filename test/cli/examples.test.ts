import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { delimiter, join } from 'node:path';
import { buildProgram } from '../../src/cli/program.js';
import { BIN, NODE, ROOT, baseEnv, runInProcess, tempHome } from '../helpers/cli.js';

/**
 * The recipes in examples/ and the emergency runbook, tried for real where this machine allows: the cron and
 * Kubernetes command lines run against the embedded store, the systemd units pass `systemd-analyze verify`,
 * the manifest validates against the Kubernetes schema (kubernetes-validate, strict), the workflow passes
 * actionlint, the pre-commit config passes `pre-commit validate-config`; each validator is also shown a broken
 * copy, so a validator that accepts anything would fail the test. Tools come from `scripts/tools.sh install`.
 */
const toolPath = [process.env.VH_TOOLS_BIN ?? '', join(ROOT, '.peers', 'bin'), join(ROOT, '.peers', 'venv', 'bin'), process.env.PATH ?? ''].join(delimiter);
const which = (tool: string): string | undefined => {
  for (const dir of toolPath.split(delimiter)) if (dir && existsSync(join(dir, tool))) return join(dir, tool);
  return undefined;
};
const tools = {
  kubernetesValidate: which('kubernetes-validate'),
  actionlint: which('actionlint'),
  preCommit: which('pre-commit'),
  systemdAnalyze: which('systemd-analyze'),
};
const missing = Object.entries(tools).filter(([, p]) => !p).map(([t]) => t);
if (missing.length > 0) {
  const msg = `examples: missing ${missing.join(', ')} (run scripts/tools.sh install; systemd-analyze is Debian's systemd)`;
  if (process.env.VH_REQUIRE_PEERS === '1') throw new Error(msg);
  console.warn(`SKIPPING some recipe checks: ${msg}`);
}
const withTool = (tool: string | undefined) => (tool ? test : test.skip);

const EX = join(ROOT, 'examples');
let home: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  home = tempHome('vh-examples-');
  env = baseEnv(home);
});
afterEach(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

/** A `vh-secrets` on PATH that runs this checkout under the Node under test. */
async function shim(): Promise<string> {
  const dir = join(home, 'bin');
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(join(dir, 'vh-secrets'), `#!/bin/sh\nexec '${NODE}' '${BIN}' "$@"\n`, { mode: 0o755 });
  return dir;
}

async function seed(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await runInProcess(['create', `app/s${i}`, '--type', 'database_password', '--generate'], { env });
    expect(r.code).toBe(0);
  }
}

const sh = (script: string, extraEnv: NodeJS.ProcessEnv) => spawnSync('/bin/sh', ['-c', script], { env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 120_000 });

describe('examples/: recipes that work as written', () => {
  test('crontab: both job lines are valid cron entries and run as written (paths moved to a temp dir)', async () => {
    const text = await fs.readFile(join(EX, 'cron', 'vh-secrets.crontab'), 'utf8');
    const jobs = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#') && !/^[A-Z_]+=/.test(l));
    expect(jobs).toHaveLength(2);
    const field = /^(\*|\d+(-\d+)?(,\d+(-\d+)?)*)(\/\d+)?$/;
    for (const job of jobs) {
      const parts = job.split(/\s+/);
      expect(parts.slice(0, 5).every((f) => field.test(f))).toBe(true);
      expect(parts[5]).toBe('vh-secrets');
    }
    await seed(3);
    const bin = await shim();
    const state = join(home, 'state');
    await fs.mkdir(join(state, 'textfile'), { recursive: true });
    const command = (job: string) => job.split(/\s+/).slice(5).join(' ').replaceAll('/var/lib/node_exporter/textfile', join(state, 'textfile')).replaceAll('/var/lib/vh-secrets', state);
    const rotate = sh(command(jobs[0]!), { PATH: `${bin}:${env.PATH}`, CI: 'true' });
    expect(rotate.stdout + rotate.stderr).toBe('');
    expect(rotate.status).toBe(0);
    const report = JSON.parse(await fs.readFile(join(state, 'rotate-all.json'), 'utf8')) as { results: { status: string }[] };
    expect(report.results.map((r) => r.status)).toEqual(['rotated', 'rotated', 'rotated']);
    const health = sh(command(jobs[1]!), { PATH: `${bin}:${env.PATH}` });
    expect(health.status).toBe(0);
    expect(await fs.readFile(join(state, 'textfile', 'vh_secrets.prom'), 'utf8')).toMatch(/^voicehive_secrets_health_status\{/m);
  });

  withTool(tools.systemdAnalyze)('systemd: service and timer pass systemd-analyze verify; the service command runs', async () => {
    const dir = join(home, 'units');
    await fs.mkdir(dir);
    const service = (await fs.readFile(join(EX, 'systemd', 'vh-secrets-rotate-all.service'), 'utf8')).replace('/usr/local/bin/vh-secrets', BIN);
    await fs.writeFile(join(dir, 'vh-secrets-rotate-all.service'), service);
    await fs.copyFile(join(EX, 'systemd', 'vh-secrets-rotate-all.timer'), join(dir, 'vh-secrets-rotate-all.timer'));
    const verify = (files: string[]) => spawnSync(tools.systemdAnalyze!, ['verify', '--man=no', ...files], { encoding: 'utf8', cwd: dir });
    const ok = verify(['vh-secrets-rotate-all.service', 'vh-secrets-rotate-all.timer']);
    expect(ok.stderr.replace(/.*Failed to .*connect.*\n?/g, '')).toBe('');
    expect(ok.status).toBe(0);
    await fs.writeFile(join(dir, 'broken.timer'), '[Timer]\nOnCalendar=*-*-* 25:99:00\nPersistnt=true\n');
    expect(verify(['broken.timer']).stderr).toMatch(/OnCalendar|Persistnt/);

    await seed(2);
    const exec = /^ExecStart=(.*)$/m.exec(service)![1]!;
    const r = sh(exec.replace(BIN, `'${NODE}' '${BIN}'`), { CI: 'true' });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.match(/ rotated /g)).toHaveLength(2);
  });

  withTool(tools.kubernetesValidate)('Kubernetes CronJob: strict schema validation; the two shards together rotate each secret exactly once', async () => {
    const manifest = join(EX, 'kubernetes', 'rotate-all-cronjob.yaml');
    const validate = (file: string) => spawnSync(tools.kubernetesValidate!, ['--strict', '-k', '1.30.0', file], { encoding: 'utf8' });
    const ok = validate(manifest);
    expect(ok.stdout + ok.stderr).toMatch(/passed/);
    expect(ok.status).toBe(0);
    const broken = join(home, 'broken.yaml');
    await fs.writeFile(broken, (await fs.readFile(manifest, 'utf8')).replace('concurrencyPolicy: Forbid', 'concurrencyPolicy: Forbid\n  concurency: 1'));
    expect(validate(broken).status).not.toBe(0);

    const text = await fs.readFile(manifest, 'utf8');
    const script = /args:\n\s+- (exec vh-secrets .*)\n/.exec(text)![1]!;
    await seed(8);
    const bin = await shim();
    const statuses = new Map<string, string[]>();
    for (const index of ['0', '1']) {
      const r = sh(script, { PATH: `${bin}:${env.PATH}`, JOB_COMPLETION_INDEX: index, CI: 'true' });
      expect(r.status).toBe(0);
      for (const res of (JSON.parse(r.stdout) as { results: { secret: string; status: string }[] }).results) {
        statuses.set(res.secret, [...(statuses.get(res.secret) ?? []), res.status]);
      }
    }
    expect(statuses.size).toBe(8);
    for (const s of statuses.values()) expect(s).toEqual(['rotated']);
  });

  withTool(tools.actionlint)('GitHub Actions secret-scanning.yml passes actionlint; a broken copy does not', async () => {
    const wf = join(EX, 'github-actions', 'secret-scanning.yml');
    const ok = spawnSync(tools.actionlint!, ['-shellcheck=', '-pyflakes=', wf], { encoding: 'utf8' });
    expect(ok.stdout + ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const broken = join(home, 'wf.yml');
    await fs.writeFile(broken, (await fs.readFile(wf, 'utf8')).replace('runs-on: ubuntu-latest', 'runs-on: ubuntu-latest\n    timeout-minutes: soon'));
    expect(spawnSync(tools.actionlint!, ['-shellcheck=', '-pyflakes=', broken], { encoding: 'utf8' }).status).not.toBe(0);
    expect(await fs.readFile(wf, 'utf8')).toMatch(/vh-secrets scan --path \. --format sarif --output security-scan-results\.sarif --fail-on-secrets/);
  });

  withTool(tools.preCommit)('pre-commit config passes pre-commit validate-config; a broken copy does not', async () => {
    const cfg = join(EX, 'pre-commit', '.pre-commit-config.yaml');
    const validate = (file: string) => spawnSync(tools.preCommit!, ['validate-config', file], { encoding: 'utf8', env: { ...process.env, PRE_COMMIT_HOME: join(home, 'pc') } });
    expect(validate(cfg).status).toBe(0);
    const broken = join(home, 'pc.yaml');
    await fs.writeFile(broken, (await fs.readFile(cfg, 'utf8')).replace('language: system', 'language: klingon'));
    expect(validate(broken).status).not.toBe(0);
  });

  test('the emergency runbook only uses commands and options that exist', async () => {
    const text = await fs.readFile(join(ROOT, 'docs', 'runbook-emergency-rotation.md'), 'utf8');
    const program = buildProgram('0.0.0', { invoke: async () => undefined });
    const lines = [...text.matchAll(/vh-secrets ([a-z-]+)([^\n`|]*)/g)];
    expect(lines.length).toBeGreaterThan(8);
    const globals = new Set(program.options.flatMap((o) => [o.long, o.short].filter((x): x is string => !!x)));
    for (const [whole, name, rest] of lines) {
      const cmd = program.commands.find((c) => c.name() === name || c.aliases().includes(name!));
      expect([whole, cmd !== undefined]).toEqual([whole, true]);
      const known = new Set([...globals, ...cmd!.options.flatMap((o) => [o.long, o.short].filter((x): x is string => !!x))]);
      for (const flag of rest!.match(/(?<=\s)--?[a-z][a-z-]*/g) ?? []) expect([whole, flag, known.has(flag)]).toEqual([whole, flag, true]);
    }
  });
});
