import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsImport from 'ajv-formats';
import { ROOT, baseEnv, run, tempHome } from '../helpers/cli.js';
import { fake, reseed } from './fakes.js';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

/**
 * SARIF output validated against the official SARIF 2.1.0 JSON schema (draft-07) with ajv 8 and ajv-formats.
 * `scripts/tools.sh install` fetches the schema (hash-pinned) to .peers/sarif/; `VH_SARIF_SCHEMA` names another.
 */
const SCHEMA = process.env.VH_SARIF_SCHEMA ?? join(ROOT, '.peers', 'sarif', 'sarif-schema-2.1.0.json');
if (!existsSync(SCHEMA) && process.env.VH_REQUIRE_PEERS === '1') throw new Error(`no SARIF schema at ${SCHEMA}: run scripts/tools.sh install`);

function validator(): ValidateFunction {
  // The schema's language pattern has a stray ']' that is only valid without the u flag.
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  return ajv.compile(JSON.parse(readFileSync(SCHEMA, 'utf8')) as object);
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

  (existsSync(SCHEMA) ? test : test.skip)('validates against the official SARIF 2.1.0 schema (ajv)', async () => {
    const validate = validator();
    const found = await run(['scan', '.', '--format', 'sarif'], { env: env(), cwd: dir });
    const sarif = JSON.parse(found.out) as Record<string, unknown>;
    const ok = validate(sarif);
    expect({ ok, errors: ok ? null : validate.errors }).toEqual({ ok: true, errors: null });
    const clean = tempHome('vh-scan-sarif-clean-');
    const r = await run(['scan', clean, '--format', 'sarif'], { env: env() });
    expect(validate(JSON.parse(r.out))).toBe(true);
    // What was skipped (run properties, notifications) and an unreadable input keep the log valid.
    const skipping = tempHome('vh-scan-sarif-skips-');
    execFileSync('git', ['init', '-q', skipping]);
    writeFileSync(join(skipping, '.gitignore'), 'ignored.txt\n');
    writeFileSync(join(skipping, 'ignored.txt'), 'x\n');
    writeFileSync(join(skipping, 'bin.dat'), Buffer.from([0, 1, 0]));
    const skipped = JSON.parse((await run(['scan', skipping, '--format', 'sarif'], { env: env() })).out) as { runs: { properties: { skipped: number } }[] };
    expect(skipped.runs[0]!.properties.skipped).toBe(2);
    expect({ ok: validate(skipped), errors: validate.errors ?? null }).toEqual({ ok: true, errors: null });
    const unreadable = await run(['scan', '/dev/zero', '--format', 'sarif'], { env: env() });
    expect(unreadable.code).toBe(2);
    expect(validate(JSON.parse(unreadable.out))).toBe(true);
    // The validator bites: a log without its version, or with a result of an unknown level, is refused.
    const { version: _v, ...noVersion } = sarif;
    void _v;
    expect(validate(noVersion)).toBe(false);
    const badLevel = JSON.parse(found.out) as Sarif & { runs: { results: { level?: string }[] }[] };
    badLevel.runs[0]!.results[0]!.level = 'catastrophic';
    expect(validate(badLevel)).toBe(false);
  });
});
