import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { BIN, ROOT, baseEnv, run, tempHome } from '../helpers/cli.js';
import { scrape, startExporter } from '../helpers/exporter.js';

/**
 * The exporter's deployment examples in deploy/: the Kubernetes manifest validates against the Kubernetes schema
 * (kubernetes-validate, strict) and its ServiceMonitor points at the Service's port, which selects the
 * Deployment's pods; the systemd unit passes `systemd-analyze verify`; and the command lines of both run as
 * written (address moved to an ephemeral loopback port). Each validator is also shown a broken copy.
 */
const toolPath = [process.env.VH_TOOLS_BIN ?? '', join(ROOT, '.peers', 'bin'), join(ROOT, '.peers', 'venv', 'bin'), process.env.PATH ?? ''].join(delimiter);
const which = (tool: string): string | undefined => {
  for (const dir of toolPath.split(delimiter)) if (dir && existsSync(join(dir, tool))) return join(dir, tool);
  return undefined;
};
const kubernetesValidate = which('kubernetes-validate');
const systemdAnalyze = which('systemd-analyze');
const missing = [kubernetesValidate ? '' : 'kubernetes-validate', systemdAnalyze ? '' : 'systemd-analyze'].filter(Boolean);
if (missing.length > 0) {
  const msg = `exporter deploy examples: missing ${missing.join(', ')} (run scripts/tools.sh install; systemd-analyze is Debian's systemd)`;
  if (process.env.VH_REQUIRE_PEERS === '1') throw new Error(msg);
  console.warn(`SKIPPING some checks: ${msg}`);
}
const withTool = (tool: string | undefined) => (tool ? test : test.skip);

const MANIFEST = join(ROOT, 'deploy', 'kubernetes', 'exporter.yaml');
const UNIT = join(ROOT, 'deploy', 'systemd', 'vh-secrets-exporter.service');

let home: string;
beforeEach(() => {
  home = tempHome('vh-exporter-deploy-');
});
afterEach(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

/** The exporter's arguments from a command line, its address moved to an ephemeral loopback port. */
function localArgs(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--listen') i++;
    else if (args[i] !== '--allow-remote') out.push(args[i]!);
  }
  return out;
}

async function runsAsWritten(args: string[]): Promise<void> {
  expect(args[0]).toBe('exporter');
  const env = baseEnv(home, { CI: 'true' });
  expect((await run(['create', 'app/one', '--type', 'api_key', '--generate'], { env })).code).toBe(0);
  const ex = await startExporter(localArgs(args.slice(1)), env);
  try {
    expect((await scrape(`${ex.base}/metrics`)).body).toMatch(/^voicehive_secrets_store_up\{store="local",provider="file"\} 1$/m);
    expect((await scrape(`${ex.base}/healthz`)).status).toBe(200);
  } finally {
    expect(await ex.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  }
}

interface K8sObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
}

withTool(kubernetesValidate)('Kubernetes: Deployment and Service pass strict schema validation; the ServiceMonitor scrapes the Service; the args run', async () => {
  const validate = (file: string) => spawnSync(kubernetesValidate!, ['--strict', '-k', '1.30.0', file], { encoding: 'utf8' });
  const ok = validate(MANIFEST);
  expect(ok.stdout + ok.stderr).toMatch(/passed for resource deployment\/vh-secrets-exporter/);
  expect(ok.stdout + ok.stderr).toMatch(/passed for resource service\/vh-secrets-exporter/);
  expect(ok.status).toBe(0);
  const text = await fs.readFile(MANIFEST, 'utf8');
  const broken = join(home, 'broken.yaml');
  await fs.writeFile(broken, text.replace('  replicas: 1\n', '  replicas: 1\n  replica: 1\n'));
  expect(validate(broken).status).not.toBe(0);

  // The ServiceMonitor is a CRD the schema does not know: checked here against the objects it names.
  const python = join(dirname(kubernetesValidate!), 'python3');
  const parsed = spawnSync(existsSync(python) ? python : 'python3', ['-c', 'import json,sys,yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))', MANIFEST], { encoding: 'utf8' });
  expect(parsed.status).toBe(0);
  const docs = JSON.parse(parsed.stdout) as K8sObject[];
  expect(docs.map((d) => d.kind)).toEqual(['Deployment', 'Service', 'ServiceMonitor']);
  const [deployment, service, monitor] = docs as [K8sObject, K8sObject, K8sObject];
  const pod = deployment.spec.template as { metadata: { labels: Record<string, string> }; spec: { containers: { args: string[]; ports: { name: string; containerPort: number }[]; livenessProbe: { httpGet: { path: string; port: string } } }[] } };
  const container = pod.spec.containers[0]!;
  const servicePorts = service.spec.ports as { name: string; port: number; targetPort: string }[];
  const selects = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
  expect(selects(service.spec.selector as Record<string, string>, pod.metadata.labels)).toBe(true);
  expect(servicePorts.map((p) => p.targetPort)).toContain(container.ports[0]!.name);
  expect(container.args.join(' ')).toContain(`--listen 0.0.0.0:${container.ports[0]!.containerPort}`);
  expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
  const endpoints = monitor.spec.endpoints as { port: string; path: string }[];
  expect(selects((monitor.spec.selector as { matchLabels: Record<string, string> }).matchLabels, service.metadata.labels ?? {})).toBe(true);
  expect(endpoints).toEqual([expect.objectContaining({ port: servicePorts[0]!.name, path: '/metrics' })]);

  await runsAsWritten(container.args);
});

withTool(systemdAnalyze)('systemd: the exporter unit passes systemd-analyze verify; its ExecStart runs', async () => {
  const dir = join(home, 'units');
  await fs.mkdir(dir);
  const unit = (await fs.readFile(UNIT, 'utf8')).replace('/usr/local/bin/vh-secrets', BIN);
  await fs.writeFile(join(dir, 'vh-secrets-exporter.service'), unit);
  const verify = (file: string) => spawnSync(systemdAnalyze!, ['verify', '--man=no', file], { encoding: 'utf8', cwd: dir });
  const ok = verify('vh-secrets-exporter.service');
  expect(ok.stderr.replace(/.*Failed to .*connect.*\n?/g, '')).toBe('');
  expect(ok.status).toBe(0);
  await fs.writeFile(join(dir, 'broken.service'), unit.replace('Type=simple', 'Type=simpel'));
  expect(verify('broken.service').stderr).toMatch(/Type|simpel/);

  const exec = /^ExecStart=(.*)$/m.exec(unit)![1]!.split(/\s+/);
  expect(exec[0]).toBe(BIN);
  expect(exec.slice(1, 4)).toEqual(['exporter', '--listen', '127.0.0.1:9469']);
  await runsAsWritten(exec.slice(1));
});
