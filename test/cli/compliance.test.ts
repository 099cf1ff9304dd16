import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import openFile from '../../src/providers/file.js';
import { baseEnv, run, tempHome } from '../helpers/cli.js';
import { traceModules } from '../helpers/module-trace.js';

let home: string;
let env: NodeJS.ProcessEnv;
let configFile: string;
const vh = (args: string[], input?: string) => run(args, { env, ...(input !== undefined ? { input } : {}) });

interface Control {
  framework: string;
  control: string;
  status: string;
  reason: string;
  evidence: { id: string; status: string; summary: string; source: string }[];
}
interface Report {
  schema: string;
  status: string;
  summary: { controls: number; pass: number; fail: number; not_measurable: number };
  controls: Control[];
  evidence: { id: string; status: string; summary: string; findings: { subject: string; status: string; detail: string }[] }[];
}

// Anomaly detectors judge hours of the day: the whole day counts as business hours so the result does not
// depend on when the test runs.
const CONFIG = `policy = "policy.toml"
[audit.anomalies]
business_hours = "00-24"
weekends_unusual = false
`;
const POLICY = `
[[rules]]
name = "owned"
refs = ["local:**"]
required_tags = ["owner"]
rotation_interval_days = 60

[access]
mode = "enforce"
[[access.grants]]
name = "tester"
actors = ["tester"]
actions = ["*"]
refs = ["**"]
`;

async function compliance(args: string[] = []): Promise<{ code: number | null; report: Report; stderr: string }> {
  const r = await vh(['compliance', '--json', ...args]);
  return { code: r.code, report: JSON.parse(r.out) as Report, stderr: r.stderr };
}
const control = (r: Report, id: string) => r.controls.find((c) => c.control === id)!;

beforeEach(async () => {
  home = tempHome('vh-compliance-');
  configFile = join(home, 'vh-secrets.toml');
  await fs.writeFile(configFile, CONFIG);
  await fs.writeFile(join(home, 'policy.toml'), POLICY);
  env = baseEnv(home, { VH_SECRETS_CONFIG: configFile, VH_SECRETS_ACTOR: 'tester' });
  expect((await vh(['create', 'app/db', '--type', 'database_password', '--generate', '--owner', 'dba'])).code).toBe(0);
  expect((await vh(['create', 'app/api', '--type', 'api_key', '--generate', '--owner', 'web'])).code).toBe(0);
  expect((await vh(['get', 'app/db', '--actor', 'intruder'])).code).toBe(77);
});

afterEach(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

describe('vh-secrets compliance', () => {
  test('a good setup on the file store passes every control, with measured evidence; stable JSON', async () => {
    const { code, report } = await compliance();
    expect(report.controls.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(code).toBe(0);
    expect(Object.keys(report).sort()).toEqual(['controls', 'evidence', 'frameworks', 'generated_at', 'period', 'policy', 'schema', 'status', 'summary']);
    expect(report.schema).toBe('vh-secrets.compliance/1');
    expect(report.status).toBe('pass');
    expect(report.summary).toEqual({ controls: 16, pass: 16, fail: 0, not_measurable: 0 });
    expect(report.controls.map((c) => `${c.framework} ${c.control}`)).toEqual([
      'nist-800-53 AC-3', 'nist-800-53 AU-2', 'nist-800-53 SC-12', 'nist-800-53 SC-28',
      'soc2 CC6.1', 'soc2 CC6.2', 'soc2 CC7.1', 'soc2 CC7.2',
      'iso27001 A.9.2', 'iso27001 A.10.1', 'iso27001 A.12.4', 'iso27001 A.18.1.3',
      'hipaa 164.312(a)', 'hipaa 164.312(b)', 'hipaa 164.312(c)', 'hipaa 164.312(e)',
    ]);
    for (const c of report.controls) {
      expect(Object.keys(c).sort()).toEqual(['control', 'evidence', 'framework', 'reason', 'status', 'title']);
      for (const e of c.evidence) expect(Object.keys(e).sort()).toEqual(['id', 'source', 'status', 'summary']);
    }
    expect(report.evidence.map((e) => e.id)).toEqual(['access_policy', 'audit_integrity', 'anomalies', 'rotation', 'policy_compliance', 'encryption_at_rest', 'transport_security']);
    const ev = Object.fromEntries(report.evidence.map((e) => [e.id, e]));
    expect(ev.access_policy!.summary).toMatch(/enforced \(1 grant, default deny\); 1 denied action recorded/);
    expect(ev.audit_integrity!.summary).toMatch(/^\d+ events, hash chain intact/);
    expect(ev.rotation!.summary).toBe('all 2 secrets rotated within their interval');
    expect(ev.encryption_at_rest!.findings).toEqual([expect.objectContaining({ subject: 'store local (file)', status: 'pass', detail: expect.stringMatching(/AES-256-GCM envelope .* mode 0600 — measured/) })]);

    const soc2 = await compliance(['--framework', 'soc2']);
    expect(soc2.report.controls.map((c) => c.control)).toEqual(['CC6.1', 'CC6.2', 'CC7.1', 'CC7.2']);

    const text = await vh(['compliance']);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/PASS\s+nist-800-53\s+AC-3\s+Access Enforcement/);
    expect(text.out).toMatch(/PASS: 16 controls — 16 pass, 0 fail, 0 not measurable/);
  });

  test('a tampered audit log fails AU-2 and the other logging controls (exit 1)', async () => {
    const log = join(home, 'vh', 'audit.log');
    const lines = (await fs.readFile(log, 'utf8')).split('\n');
    lines[1] = lines[1]!.replace('"actor":"tester"', '"actor":"someone-else"');
    await fs.writeFile(log, lines.join('\n'), { mode: 0o600 });
    const { code, report } = await compliance();
    expect(code).toBe(1);
    expect(report.status).toBe('fail');
    for (const id of ['AU-2', 'CC7.1', 'CC7.2', 'A.12.4', 'A.18.1.3', '164.312(b)', '164.312(c)']) {
      expect(control(report, id)).toMatchObject({ status: 'fail', reason: expect.stringContaining('audit_integrity') });
    }
    expect(control(report, 'AU-2').evidence[0]!.summary).toBe('audit log chain broken at line 2 (modified)');
    expect(control(report, 'SC-12').status).toBe('pass');
  });

  test('an overdue rotation fails SC-12 naming the secret', async () => {
    const store = await openFile({}, { alias: 'local', home: join(home, 'vh') });
    await store.setMetadata('app/db', { 'vh-rotated-at': new Date(Date.now() - 100 * 86_400_000).toISOString() });
    const { code, report } = await compliance(['--framework', 'nist-800-53']);
    expect(code).toBe(1);
    expect(control(report, 'SC-12')).toMatchObject({ status: 'fail', reason: 'failing evidence: rotation, policy_compliance' });
    const rotation = report.evidence.find((e) => e.id === 'rotation')!;
    expect(rotation.summary).toBe('1 of 2 secrets overdue for rotation');
    expect(rotation.findings).toEqual([expect.objectContaining({ subject: 'local:app/db', status: 'fail', detail: expect.stringMatching(/rotation overdue by 70 days/) })]);
    expect(report.evidence.find((e) => e.id === 'policy_compliance')!.findings[0]!.detail).toMatch(/rule "owned" \(rotation_interval_days, enforce\): current value is 100 days old/);
    expect(control(report, 'AC-3').status).toBe('pass');
  });

  test('an http:// Vault address fails transmission security; a cloud store is not-measurable at rest, never pass', async () => {
    await fs.writeFile(configFile, `${CONFIG}\n[stores.vault]\nprovider = "vault"\naddress = "http://127.0.0.1:8200"\n`);
    const plain = await compliance(['--framework', 'hipaa']);
    expect(plain.code).toBe(1);
    expect(control(plain.report, '164.312(e)')).toMatchObject({ status: 'fail', reason: 'failing evidence: transport_security' });
    const transport = plain.report.evidence.find((e) => e.id === 'transport_security')!;
    expect(transport.findings).toContainEqual({ subject: 'store vault (vault)', status: 'fail', detail: 'address http://127.0.0.1:8200 uses http: secrets travel without TLS' });
    expect(control(plain.report, '164.312(c)').status).toBe('not-measurable');
    const atRest = plain.report.evidence.find((e) => e.id === 'encryption_at_rest')!;
    expect(atRest.findings).toContainEqual(expect.objectContaining({ subject: 'store vault (vault)', status: 'not-measurable' }));

    await fs.writeFile(configFile, `${CONFIG}\n[stores.vault]\nprovider = "vault"\naddress = "https://vault.example.com:8200"\n[[audit.sinks]]\ntype = "http"\nurl = "http://collector.example:8080/audit"\n`);
    const sink = await compliance(['--framework', 'hipaa']);
    expect(sink.report.evidence.find((e) => e.id === 'transport_security')!.findings).toEqual([
      { subject: 'store local (file)', status: 'pass', detail: 'local file: no network transmission' },
      { subject: 'store vault (vault)', status: 'pass', detail: 'address https://vault.example.com:8200 uses https' },
      { subject: 'audit sink http-1', status: 'fail', detail: 'http://collector.example:8080 uses http: events travel without TLS' },
    ]);
  });

  test('each cloud store\'s TLS and encryption at rest are judged by its provider without loading its SDK', async () => {
    await fs.writeFile(
      configFile,
      `${CONFIG}\n[stores.vault]\nprovider = "vault"\naddress = "https://vault.example.com:8200"\n[stores.aws]\nprovider = "aws"\nkms_key_id = "alias/app"\n` +
        `[stores.azure]\nprovider = "azure"\nvault_url = "https://kv.vault.azure.net"\n[stores.gcp]\nprovider = "gcp"\nendpoint = "localhost:8085"\n`,
    );
    // hipaa reads no store (no rotation evidence): only the providers' postures.
    const { urls, stdout } = traceModules(home, ['compliance', '--json', '--framework', 'hipaa'], env);
    expect(urls.some((u) => u.endsWith('/dist/src/providers/aws.js'))).toBe(true);
    expect(urls.filter((u) => /@aws-sdk|@azure|@google-cloud|node-vault|@grpc/.test(u))).toEqual([]);
    const report = JSON.parse(stdout) as Report;
    expect(report.evidence.find((e) => e.id === 'transport_security')!.findings.filter((f) => f.subject !== 'store local (file)')).toEqual([
      { subject: 'store aws (aws)', status: 'pass', detail: 'no endpoint override: the SDK uses https://secretsmanager.<region>.amazonaws.com' },
      { subject: 'store azure (azure)', status: 'pass', detail: 'vault_url https://kv.vault.azure.net uses https' },
      { subject: 'store gcp (gcp)', status: 'fail', detail: 'endpoint localhost:8085 is plaintext gRPC (insecure)' },
      { subject: 'store vault (vault)', status: 'pass', detail: 'address https://vault.example.com:8200 uses https' },
    ]);
    expect(report.evidence.find((e) => e.id === 'encryption_at_rest')!.findings.find((f) => f.subject === 'store aws (aws)')).toEqual({
      subject: 'store aws (aws)',
      status: 'not-measurable',
      detail: 'AWS Secrets Manager encrypts every secret with KMS (configured key alias/app); not observable from the client',
    });
  });

  test('IAM access keys and transit keys rotated through their targets count for SC-12 and A.10.1 (key_management); an overdue one fails them', async () => {
    // Config and metadata only: compliance opens no target, so no IAM or Vault is needed here.
    await fs.writeFile(configFile, `${CONFIG}
[targets.deployer]
kind = "aws-iam-user"
user = "ci-deployer"
[targets.payments-key]
kind = "vault-transit"
key = "payments"
secrets = ["local:transit/*"]
`);
    expect((await vh(['create', 'iam/deployer', '--type', 'generic', '--owner', 'ops', '--target', 'deployer'], JSON.stringify({ access_key_id: 'AKIAEXAMPLE', secret_access_key: 'x'.repeat(40) }))).code).toBe(0);
    expect((await vh(['create', 'transit/payments', '--type', 'encryption_key', '--owner', 'ops'], JSON.stringify({ key: 'payments', version: 1 }))).code).toBe(0);
    const { code, report } = await compliance();
    expect(code).toBe(0);
    const keys = report.evidence.find((e) => e.id === 'key_management')!;
    expect(keys).toMatchObject({ status: 'pass', summary: '2 service-managed keys (1 IAM access key, 1 transit key) rotated by their service through vh-secrets, all within their interval' });
    expect(keys.findings).toEqual([
      { subject: 'local:iam/deployer', status: 'pass', detail: expect.stringMatching(/^IAM access key rotated through target deployer \(aws-iam-user\): /) },
      { subject: 'local:transit/payments', status: 'pass', detail: expect.stringMatching(/^transit key rotated through target payments-key \(vault-transit\): /) },
    ]);
    expect(report.evidence.map((e) => e.id)).toEqual(['access_policy', 'audit_integrity', 'anomalies', 'rotation', 'policy_compliance', 'key_management', 'encryption_at_rest', 'transport_security']);
    for (const id of ['SC-12', 'A.10.1']) expect(control(report, id).evidence.map((e) => e.id)).toContain('key_management');
    // Not a key-management control: CC6.2 reads rotation, not this.
    expect(control(report, 'CC6.2').evidence.map((e) => e.id)).toEqual(['rotation', 'policy_compliance']);

    const store = await openFile({}, { alias: 'local', home: join(home, 'vh') });
    await store.setMetadata('transit/payments', { 'vh-rotated-at': new Date(Date.now() - 400 * 86_400_000).toISOString() });
    const overdue = await compliance(['--framework', 'iso27001']);
    expect(overdue.code).toBe(1);
    expect(control(overdue.report, 'A.10.1')).toMatchObject({ status: 'fail', reason: expect.stringContaining('key_management') });
    expect(overdue.report.evidence.find((e) => e.id === 'key_management')).toMatchObject({ status: 'fail', summary: '1 of 2 service-managed keys (1 IAM access key, 1 transit key) overdue for rotation' });
  });

  test('without a policy the access controls fail; usage errors are 64', async () => {
    await fs.writeFile(configFile, CONFIG.replace('policy = "policy.toml"\n', ''));
    const { code, report } = await compliance(['--framework', 'iso27001']);
    expect(code).toBe(1);
    expect(control(report, 'A.9.2')).toMatchObject({ status: 'fail' });
    expect(control(report, 'A.9.2').evidence[0]!.summary).toMatch(/^no policy file is configured/);
    expect((await vh(['compliance', '--framework', 'pci'])).code).toBe(64);
    expect((await vh(['compliance', '--days', 'x'])).code).toBe(64);
  });
});
