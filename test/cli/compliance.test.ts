import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { FRAMEWORKS } from '../../src/compliance/compliance.js';
import openFile from '../../src/providers/file.js';
import { baseEnv, runInProcess, tempHome } from '../helpers/cli.js';
import { traceModules } from '../helpers/module-trace.js';

let home: string;
let env: NodeJS.ProcessEnv;
let configFile: string;
const vh = (args: string[], input?: string) => runInProcess(args, { env, ...(input !== undefined ? { input } : {}) });

interface Control {
  framework: string;
  control: string;
  status: string;
  reason: string;
  evidence: { id: string; status: string; summary: string; source: string }[];
}
interface Report {
  schema: string;
  frameworks: string[];
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
    expect(report.summary).toEqual({ controls: 30, pass: 30, fail: 0, not_measurable: 0 });
    expect(report.controls.map((c) => `${c.framework} ${c.control}`)).toEqual([
      'nist-800-53 AC-3', 'nist-800-53 AU-2', 'nist-800-53 SC-12', 'nist-800-53 SC-28',
      'soc2 CC6.1', 'soc2 CC6.2', 'soc2 CC7.1', 'soc2 CC7.2',
      'iso27001 A.9.2', 'iso27001 A.10.1', 'iso27001 A.12.4', 'iso27001 A.18.1.3',
      'hipaa 164.312(a)', 'hipaa 164.312(b)', 'hipaa 164.312(c)', 'hipaa 164.312(e)',
      'pci-dss 3.6', 'pci-dss 3.7', 'pci-dss 7.2', 'pci-dss 8.3.2', 'pci-dss 8.3.9', 'pci-dss 8.6.3', 'pci-dss 10.2', 'pci-dss 10.3', 'pci-dss 10.4',
      'gdpr Art. 5(1)(f)', 'gdpr Art. 25', 'gdpr Art. 32(1)(a)', 'gdpr Art. 32(1)(b)', 'gdpr Art. 33',
    ]);
    for (const c of report.controls) {
      expect(Object.keys(c).sort()).toEqual(['control', 'evidence', 'framework', 'reason', 'status', 'title']);
      for (const e of c.evidence) expect(Object.keys(e).sort()).toEqual(['id', 'source', 'status', 'summary']);
    }
    expect(report.evidence.map((e) => e.id)).toEqual(['access_policy', 'audit_integrity', 'anomalies', 'rotation', 'credential_age_90d', 'policy_compliance', 'encryption_at_rest', 'transport_security']);
    const ev = Object.fromEntries(report.evidence.map((e) => [e.id, e]));
    expect(ev.access_policy!.summary).toMatch(/enforced \(1 grant, default deny\); 1 denied action recorded/);
    expect(ev.audit_integrity!.summary).toMatch(/^\d+ events, hash chain intact/);
    expect(ev.rotation!.summary).toBe('all 2 secrets rotated within their interval');
    expect(ev.credential_age_90d!.summary).toBe('all 2 passwords and account credentials changed within 90 days, on intervals of 90 days or less');
    expect(ev.encryption_at_rest!.findings).toEqual([expect.objectContaining({ subject: 'store local (file)', status: 'pass', detail: expect.stringMatching(/AES-256-GCM envelope .* mode 0600 — measured/) })]);

    const soc2 = await compliance(['--framework', 'soc2']);
    expect(soc2.report.controls.map((c) => c.control)).toEqual(['CC6.1', 'CC6.2', 'CC7.1', 'CC7.2']);

    const text = await vh(['compliance']);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/PASS\s+nist-800-53\s+AC-3\s+Access Enforcement/);
    expect(text.out).toMatch(/PASS\s+pci-dss\s+8\.3\.9\s+Passwords/);
    expect(text.out).toMatch(/PASS\s+gdpr\s+Art\. 32\(1\)\(a\)\s+Security of processing/);
    expect(text.out).toMatch(/PASS: 30 controls — 30 pass, 0 fail, 0 not measurable/);
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
    expect(report.evidence.map((e) => e.id)).toEqual(['access_policy', 'audit_integrity', 'anomalies', 'rotation', 'credential_age_90d', 'policy_compliance', 'key_management', 'encryption_at_rest', 'transport_security']);
    for (const id of ['SC-12', 'A.10.1', '3.7']) expect(control(report, id).evidence.map((e) => e.id)).toContain('key_management');
    // Not a key-management control: CC6.2 reads rotation, not this.
    expect(control(report, 'CC6.2').evidence.map((e) => e.id)).toEqual(['rotation', 'policy_compliance']);

    const store = await openFile({}, { alias: 'local', home: join(home, 'vh') });
    await store.setMetadata('transit/payments', { 'vh-rotated-at': new Date(Date.now() - 400 * 86_400_000).toISOString() });
    const overdue = await compliance(['--framework', 'iso27001']);
    expect(overdue.code).toBe(1);
    expect(control(overdue.report, 'A.10.1')).toMatchObject({ status: 'fail', reason: expect.stringContaining('key_management') });
    expect(overdue.report.evidence.find((e) => e.id === 'key_management')).toMatchObject({ status: 'fail', summary: '1 of 2 service-managed keys (1 IAM access key, 1 transit key) overdue for rotation' });
  });

  test('PCI DSS: a credential changed more than 90 days ago fails 8.3.9 while its 365-day interval passes rotation, 3.7 and 8.6.3', async () => {
    // A policy that allows yearly rotation: the secrets comply with it; only PCI's 90-day ceiling is broken.
    await fs.writeFile(join(home, 'policy.toml'), POLICY.replace('rotation_interval_days = 60', 'rotation_interval_days = 365'));
    expect((await vh(['create', 'app/oauth', '--type', 'oauth_client_secret', '--generate', '--owner', 'web'])).code).toBe(0);
    expect((await vh(['create', 'app/enc', '--type', 'encryption_key', '--generate', '--owner', 'ops'])).code).toBe(0);
    const store = await openFile({}, { alias: 'local', home: join(home, 'vh') });
    const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
    await store.setMetadata('app/api', { 'vh-rotated-at': ago(120), 'vh-rotation-days': '365' });
    // A key, not a password: 200 days within its 365-day cryptoperiod is no 8.3.9 matter.
    await store.setMetadata('app/enc', { 'vh-rotated-at': ago(200) });

    const { code, report } = await compliance(['--framework', 'pci-dss']);
    expect(code).toBe(1);
    expect(report.controls.map((c) => c.control)).toEqual(['3.6', '3.7', '7.2', '8.3.2', '8.3.9', '8.6.3', '10.2', '10.3', '10.4']);
    expect(report.summary).toEqual({ controls: 9, pass: 8, fail: 1, not_measurable: 0 });
    expect(control(report, '8.3.9')).toMatchObject({ status: 'fail', reason: 'failing evidence: credential_age_90d' });
    for (const id of ['3.7', '8.6.3']) expect(control(report, id)).toMatchObject({ status: 'pass', reason: 'measured: rotation, policy_compliance pass' });
    expect(control(report, '3.6')).toMatchObject({ status: 'pass', reason: 'measured: encryption_at_rest, access_policy pass' });
    expect(control(report, '8.3.2')).toMatchObject({ status: 'pass', reason: 'measured: encryption_at_rest, transport_security pass' });
    expect(control(report, '7.2').status).toBe('pass');
    for (const id of ['10.2', '10.3']) expect(control(report, id)).toMatchObject({ status: 'pass', reason: 'measured: audit_integrity pass' });
    expect(control(report, '10.4')).toMatchObject({ status: 'pass', reason: 'measured: audit_integrity, anomalies pass' });
    const ages = report.evidence.find((e) => e.id === 'credential_age_90d')!;
    expect(ages.summary).toBe('2 of 3 passwords and account credentials older than 90 days or rotating less often');
    expect(ages.findings).toEqual([
      { subject: 'local:app/api', status: 'fail', detail: expect.stringMatching(/^api_key last changed 120 days ago \(.*\): more than 90$/) },
      { subject: 'local:app/oauth', status: 'fail', detail: 'oauth_client_secret rotates every 180 days: more than 90 (last changed 0 days ago)' },
    ]);
    expect(report.evidence.find((e) => e.id === 'rotation')!.summary).toBe('all 4 secrets rotated within their interval');

    const text = await vh(['compliance', '--framework', 'pci-dss']);
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/FAIL\s+pci-dss\s+8\.3\.9\s+Passwords\/passphrases used as the only authentication factor/);
    expect(text.out).toMatch(/PASS\s+pci-dss\s+8\.6\.3\s+/);
    expect(text.out).toMatch(/FAIL credential_age_90d: 2 of 3 passwords/);
    expect(text.out).toMatch(/FAIL: 9 controls — 8 pass, 1 fail, 0 not measurable/);

    // --framework all carries them too, beside the other frameworks' verdicts on the same evidence.
    const all = await compliance(['--framework', 'all']);
    expect(all.report.frameworks).toEqual(['nist-800-53', 'soc2', 'iso27001', 'hipaa', 'pci-dss', 'gdpr']);
    expect(control(all.report, '8.3.9').status).toBe('fail');
    expect(control(all.report, 'SC-12').status).toBe('pass');
    expect(all.report.summary).toEqual({ controls: 30, pass: 29, fail: 1, not_measurable: 0 });
  });

  test('GDPR: a world-readable audit log fails Art. 32(1)(b) and Art. 33; encryption and access controls still pass', async () => {
    const good = await compliance(['--framework', 'gdpr']);
    expect(good.code).toBe(0);
    expect(good.report.controls.map((c) => [c.control, c.status])).toEqual([
      ['Art. 5(1)(f)', 'pass'], ['Art. 25', 'pass'], ['Art. 32(1)(a)', 'pass'], ['Art. 32(1)(b)', 'pass'], ['Art. 33', 'pass'],
    ]);
    expect(control(good.report, 'Art. 32(1)(a)').evidence.map((e) => e.id)).toEqual(['encryption_at_rest', 'transport_security']);
    // Nothing of GDPR reads the 90-day PCI evidence or key management.
    expect(good.report.evidence.map((e) => e.id)).toEqual(['access_policy', 'audit_integrity', 'anomalies', 'rotation', 'encryption_at_rest', 'transport_security']);

    await fs.chmod(join(home, 'vh', 'audit.log'), 0o644);
    const { code, report } = await compliance(['--framework', 'gdpr']);
    expect(code).toBe(1);
    expect(control(report, 'Art. 33')).toMatchObject({ status: 'fail', reason: 'failing evidence: audit_integrity' });
    expect(control(report, 'Art. 32(1)(b)')).toMatchObject({ status: 'fail', reason: 'failing evidence: audit_integrity' });
    expect(control(report, 'Art. 33').evidence[0]!.summary).toBe('audit log is readable by others (mode 0644)');
    for (const id of ['Art. 5(1)(f)', 'Art. 25', 'Art. 32(1)(a)']) expect(control(report, id).status).toBe('pass');

    const text = await vh(['compliance', '--framework', 'gdpr']);
    expect(text.out).toMatch(/FAIL\s+gdpr\s+Art\. 33\s+Notification of a personal data breach/);
    expect(text.out).toMatch(/FAIL: 5 controls — 3 pass, 2 fail, 0 not measurable/);
  });

  test('without a policy the access controls fail; usage errors are 64', async () => {
    await fs.writeFile(configFile, CONFIG.replace('policy = "policy.toml"\n', ''));
    const { code, report } = await compliance(['--framework', 'iso27001']);
    expect(code).toBe(1);
    expect(control(report, 'A.9.2')).toMatchObject({ status: 'fail' });
    expect(control(report, 'A.9.2').evidence[0]!.summary).toMatch(/^no policy file is configured/);
    expect((await vh(['compliance', '--framework', 'pci'])).code).toBe(64);
    // The command's choices (kept literal in commands/compliance.spec.ts so --help loads no job) are the library's frameworks.
    expect((await vh(['compliance', '--help'])).out.replace(/\s+/g, ' ')).toContain(`(choices: ${[...FRAMEWORKS, 'all'].map((f) => `"${f}"`).join(', ')}, default: "all")`);
    const noPolicy = await compliance(['--framework', 'pci-dss']);
    for (const id of ['3.6', '7.2']) expect(control(noPolicy.report, id).status).toBe('fail');
    expect((await vh(['compliance', '--days', 'x'])).code).toBe(64);
  });
});
