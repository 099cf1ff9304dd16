import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT, baseEnv, run, tempHome } from '../helpers/cli.js';
import { fake, reseed } from './fakes.js';

/**
 * SARIF output validated against the official SARIF 2.1.0 JSON schema with ajv. The schema is vendored at
 * test/fixtures/scan/sarif-schema-2.1.0.json (or named by VH_SARIF_SCHEMA); ajv, ajv-draft-04 and ajv-formats are
 * dev dependencies (or found under VH_AJV_DIR). Until both are present the validation test says so and is skipped.
 */
const SCHEMA = process.env.VH_SARIF_SCHEMA ?? join(ROOT, 'test/fixtures/scan/sarif-schema-2.1.0.json');

interface AjvLike {
  compile(schema: unknown): ((data: unknown) => boolean) & { errors?: unknown };
}

function loadAjv(): AjvLike | undefined {
  const bases = [join(ROOT, 'package.json'), ...(process.env.VH_AJV_DIR ? [join(process.env.VH_AJV_DIR, 'package.json')] : [])];
  for (const base of bases) {
    try {
      const req = createRequire(base);
      const Draft04 = (req('ajv-draft-04') as { default: new (o: object) => AjvLike }).default;
      const addFormats = (req('ajv-formats') as { default: (a: AjvLike) => void }).default;
      const ajv = new Draft04({ allErrors: true, strict: false, unicodeRegExp: false });
      addFormats(ajv);
      return ajv;
    } catch {
      // try the next place
    }
  }
  return undefined;
}

interface Sarif {
  runs: {
    tool: { driver: { rules: { id: string; help: { text: string }; shortDescription: { text: string } }[] } };
    results: { ruleId: string; ruleIndex: number; partialFingerprints: Record<string, string>; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[];
  }[];
}

describe('SARIF report', () => {
  let dir: string;
  let secrets: string[];
  const env = () => baseEnv(tempHome());

  beforeAll(() => {
    reseed(5);
    secrets = [fake.githubPat(), fake.awsKeyId(), fake.jwt()];
    dir = tempHome('vh-scan-sarif-');
    mkdirSync(join(dir, 'src dir'), { recursive: true });
    writeFileSync(join(dir, 'src dir/app.js'), `const a = "${secrets[0]}";\nconst b = "${secrets[1]}";\n`);
    writeFileSync(join(dir, 'token.txt'), `Bearer ${secrets[2]}\n`);
  });

  test('carries ruleId, rule help, locations and stable partialFingerprints, and never the secret', async () => {
    const r = await run(['scan', '.', '--format', 'sarif', '--no-redact'], { env: env(), cwd: dir });
    expect(r.code).toBe(0);
    for (const s of secrets) expect(r.out).not.toContain(s);
    const sarif = JSON.parse(r.out) as Sarif;
    const run0 = sarif.runs[0]!;
    expect(run0.results.map((x) => [x.ruleId, x.locations[0]!.physicalLocation.artifactLocation.uri, x.locations[0]!.physicalLocation.region.startLine])).toEqual([
      ['github-token', 'src%20dir/app.js', 1],
      ['aws-access-key-id', 'src%20dir/app.js', 2],
      ['jwt', 'token.txt', 1],
    ]);
    for (const x of run0.results) {
      expect(run0.tool.driver.rules[x.ruleIndex]!.id).toBe(x.ruleId);
      expect(run0.tool.driver.rules[x.ruleIndex]!.help.text).toMatch(/revoke|rotate/i);
      expect(x.partialFingerprints['vhSecretsFingerprint/v1']).toMatch(/^[0-9a-f]{32}$/);
    }
    // Moving the code keeps the fingerprints.
    writeFileSync(join(dir, 'src dir/app.js'), `\n\n// moved\nconst a = "${secrets[0]}";\nconst b = "${secrets[1]}";\n`);
    const again = JSON.parse((await run(['scan', '.', '--format', 'sarif'], { env: env(), cwd: dir })).out) as Sarif;
    expect(again.runs[0]!.results.map((x) => x.partialFingerprints)).toEqual(run0.results.map((x) => x.partialFingerprints));
    expect(again.runs[0]!.results[0]!.locations[0]!.physicalLocation.region.startLine).toBe(4);
  });

  test('validates against the official SARIF 2.1.0 schema (ajv)', async () => {
    const ajv = loadAjv();
    if (!ajv || !existsSync(SCHEMA)) {
      process.stderr.write(`SARIF schema validation skipped: ${ajv ? '' : 'ajv, ajv-draft-04 and ajv-formats are not installed (devDependencies); '}${existsSync(SCHEMA) ? '' : `no schema at ${SCHEMA}`}\n`);
      return;
    }
    const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA, 'utf8')));
    const found = await run(['scan', '.', '--format', 'sarif'], { env: env(), cwd: dir });
    const ok = validate(JSON.parse(found.out));
    expect({ ok, errors: ok ? null : validate.errors }).toEqual({ ok: true, errors: null });
    const clean = tempHome('vh-scan-sarif-clean-');
    const r = await run(['scan', clean, '--format', 'sarif'], { env: env() });
    expect(validate(JSON.parse(r.out))).toBe(true);
  });
});
