import { matchGlob } from '../../src/base/text.js';
import { checkAccess, checkSecretState, checkValue, enforce, generatorOverrides, parsePolicy, policyRotationDays, type Policy, type SecretFacts } from '../../src/core/policy.js';
import { generateValue } from '../../src/core/types.js';

const now = new Date('2026-06-01T00:00:00Z');
const ago = (days: number) => new Date(now.getTime() - days * 86_400_000).toISOString();

const POLICY = `
mode = "enforce"

[[rules]]
name = "prod-db-owner"
types = ["database_password"]
refs = ["prod-vault:app/**"]
required_tags = ["owner", "team"]
max_age_days = 60
rotation_interval_days = 30
allowed_stores = ["prod-vault"]

[[rules]]
name = "strong"
mode = "warn"
refs = ["*:**"]
min_length = 24
alphabet = ["upper", "lower", "digit"]
required_classes = ["upper", "digit"]

[access]
name = "who-may"
mode = "enforce"

[[access.grants]]
name = "ops"
actors = ["alice", "ci-*"]
actions = ["get", "rotate"]
refs = ["prod-vault:app/**"]

[[access.grants]]
name = "admins"
actors = ["root"]
actions = ["*"]
refs = ["**"]
`;

let policy: Policy;
beforeAll(async () => {
  policy = await parsePolicy(POLICY, '/etc/vh/policy.toml');
});

function facts(over: Partial<SecretFacts> = {}): SecretFacts {
  return { ref: 'prod-vault:app/db', store: 'prod-vault', type: 'database_password', owner: 'dba', tags: { team: 'pay' }, rotationDays: 30, rotatedAt: ago(1), ...over };
}

describe('globs on store:name', () => {
  test('* stays in one segment, ** crosses them, ? is one character, the rest is literal', () => {
    expect(matchGlob('prod-vault:app/*', 'prod-vault:app/db')).toBe(true);
    expect(matchGlob('prod-vault:app/*', 'prod-vault:app/db/password')).toBe(false);
    expect(matchGlob('prod-vault:app/**', 'prod-vault:app/db/password')).toBe(true);
    expect(matchGlob('*:**', 'local:x/y')).toBe(true);
    expect(matchGlob('prod-?:a', 'prod-1:a')).toBe(true);
    expect(matchGlob('a.b:c', 'aXb:c')).toBe(false);
    expect(matchGlob('a(b):c+', 'a(b):c+')).toBe(true);
  });
});

describe('parsing', () => {
  test('reads rules, modes (default from the top) and grants', () => {
    expect(policy.rules.map((r) => [r.name, r.mode])).toEqual([['prod-db-owner', 'enforce'], ['strong', 'warn']]);
    expect(policy.rules[0]).toMatchObject({ types: ['database_password'], maxAgeDays: 60, rotationIntervalDays: 30, requiredTags: ['owner', 'team'], allowedStores: ['prod-vault'] });
    expect(policy.rules[1]!.alphabet).toMatch(/^[A-Z]+[a-z]+[0-9]+$/);
    expect(policy.access).toMatchObject({ name: 'who-may', mode: 'enforce' });
    expect(policy.access!.grants.map((g) => g.name)).toEqual(['ops', 'admins']);
  });

  test.each([
    ['mode = "block"\n', /policy f\.toml:1: mode: must be "enforce" or "warn"/],
    ['[[rules]]\nname = "a"\n\n[[rules]]\nname = "b"\nmin_length = "ten"\n', /f\.toml:6: rules\[1\]\.min_length: must be a whole number/],
    ['[[rules]]\ntypes = ["password"]\n', /f\.toml:2: rules\[0\]\.types: unknown secret type "password"/],
    ['[[rules]]\nrefs = ["app/*"]\n', /f\.toml:2: rules\[0\]\.refs: "app\/\*" must be a glob on store:name/],
    ['[[rules]]\nmax_agedays = 3\n', /f\.toml:2: rules\[0\]\.max_agedays: unknown setting/],
    ['[[rules]]\nalphabet = "ab"\nrequired_classes = ["digit"]\n', /f\.toml:3: rules\[0\]\.required_classes: "digit" can never be met/],
    ['[[rules]]\nname = "a"\n[[rules]]\nname = "a"\n', /f\.toml:4: rules\[1\]\.name: two rules are named "a"/],
    ['[access]\nmode = "enforce"\n[[access.grants]]\nactors = ["a"]\nactions = ["fly"]\n', /f\.toml:5: access\.grants\[0\]\.actions: unknown action "fly"/],
    ['[access]\n[[access.grants]]\nactions = ["get"]\n', /f\.toml:2: access\.grants\[0\]\.actors: missing required field/],
    ['colour = 1\n', /f\.toml:1: colour: unknown setting/],
    ['[[rules]\n', /f\.toml:1: invalid TOML/],
  ])('a malformed policy is a CONFIG error naming file, line and field: %j', async (text, message) => {
    await expect(parsePolicy(text, 'f.toml')).rejects.toMatchObject({ code: 'CONFIG', message: expect.stringMatching(message) });
  });
});

describe('state rules (metadata only)', () => {
  test('a compliant secret has no violations', () => {
    expect(checkSecretState(policy, facts(), now)).toEqual([]);
  });

  test('missing tags, wrong store, long interval and old values are each named with their rule and check', () => {
    const v = checkSecretState(policy, facts({ owner: undefined, tags: {}, rotationDays: 90, rotatedAt: ago(70) }), now);
    expect(v.map((x) => [x.rule, x.check, x.mode])).toEqual([
      ['prod-db-owner', 'required_tags', 'enforce'],
      ['prod-db-owner', 'rotation_interval_days', 'enforce'],
      ['prod-db-owner', 'max_age_days', 'enforce'],
    ]);
    expect(v[0]!.message).toBe('missing required tags "owner", "team" (set --owner or --tag owner=…)');
    expect(v[1]!.message).toBe('rotation interval is 90 days; the policy allows at most 30');
    expect(v[2]!.message).toBe('current value is 70 days old; the policy allows at most 60');
  });

  test('an interval within the policy but a value older than it is overdue under the policy', () => {
    const v = checkSecretState(policy, facts({ rotatedAt: ago(40) }), now);
    expect(v).toEqual([{ rule: 'prod-db-owner', check: 'rotation_interval_days', mode: 'enforce', message: 'current value is 40 days old; the policy rotates every 30 days' }]);
  });

  test('the owner tag is met by a tag too; rules match by type and by ref glob', () => {
    expect(checkSecretState(policy, facts({ owner: undefined, tags: { owner: 'x', team: 'y' } }), now)).toEqual([]);
    expect(checkSecretState(policy, facts({ type: 'api_key', owner: undefined, tags: {} }), now)).toEqual([]);
    expect(checkSecretState(policy, facts({ ref: 'prod-vault:other/db', owner: undefined, tags: {} }), now)).toEqual([]);
    const wrongStore = checkSecretState(policy, facts({ ref: 'local:app/db', store: 'local' }), now);
    expect(wrongStore).toEqual([]); // refs name prod-vault:… so a local secret is out of the rule's scope
    const custom = { ...policy, rules: [{ ...policy.rules[0]!, refs: null }] };
    expect(checkSecretState(custom, facts({ ref: 'local:app/db', store: 'local' }), now).map((x) => x.check)).toEqual(['allowed_stores']);
  });

  test('age is not judged for a secret being created; unknown age is a max_age violation', () => {
    expect(checkSecretState(policy, facts({ rotatedAt: ago(400) }), now, { includeAge: false })).toEqual([]);
    expect(checkSecretState(policy, facts({ rotatedAt: undefined }), now).map((x) => x.check)).toEqual(['max_age_days']);
  });

  test('no policy, no violations; the policy sets the interval of a new secret', () => {
    expect(checkSecretState(null, facts({ owner: undefined, tags: {} }), now)).toEqual([]);
    expect(policyRotationDays(policy, 'prod-vault:app/db', 'database_password')).toBeUndefined(); // the type's 30 complies
    const longer = { ...policy, rules: [{ ...policy.rules[0]!, rotationIntervalDays: 20 }] };
    expect(policyRotationDays(longer, 'prod-vault:app/db', 'database_password')).toBe(20);
    expect(policyRotationDays(policy, 'local:x', 'database_password')).toBeUndefined();
  });
});

describe('value rules', () => {
  test('length, alphabet and required classes, never quoting the value', () => {
    const value = Buffer.from('short-pw!');
    const v = checkValue(policy, 'local:x', 'generic', value);
    expect(v.map((x) => [x.rule, x.check, x.mode])).toEqual([
      ['strong', 'min_length', 'warn'],
      ['strong', 'alphabet', 'warn'],
      ['strong', 'required_classes', 'warn'],
    ]);
    expect(v.map((x) => x.message).join(' ')).not.toMatch(/short|pw|!/);
    expect(checkValue(policy, 'local:x', 'generic', Buffer.from('Abcdefghijklmnopqrstuvw1'))).toEqual([]);
  });

  test('generator overrides make generated values comply', () => {
    const o = generatorOverrides(policy, 'local:x', 'database_password');
    expect(o.alphabet).toMatch(/^[A-Za-z0-9]+$/);
    expect(o.length).toBeUndefined(); // 32 ≥ 24 already
    const long = { ...policy, rules: [{ ...policy.rules[1]!, minLength: 50 }] };
    const lo = generatorOverrides(long, 'local:x', 'generic');
    expect(lo.length).toBe(50);
    expect(generateValue('generic', lo).length).toBe(50);
    const sym = { ...policy, rules: [{ ...policy.rules[1]!, alphabet: undefined, requiredClasses: ['symbol' as const] }] };
    expect(generatorOverrides(sym, 'local:x', 'api_key').alphabet).toMatch(/[-_.~+=^]/);
  });
});

describe('access', () => {
  test('grants by actor glob, action and ref glob; default deny once [access] exists', () => {
    expect(checkAccess(policy, 'alice', 'get', 'prod-vault:app/db')).toBeNull();
    expect(checkAccess(policy, 'ci-deploy', 'rotate', 'prod-vault:app/x/y')).toBeNull();
    expect(checkAccess(policy, 'root', 'revoke', 'anything:at/all')).toBeNull();
    expect(checkAccess(policy, 'alice', 'create', 'prod-vault:app/db')).toEqual({ rule: 'who-may', check: 'access', mode: 'enforce', message: 'no grant lets actor "alice" create prod-vault:app/db' });
    expect(checkAccess(policy, 'mallory', 'get', 'prod-vault:app/db')?.rule).toBe('who-may');
    expect(checkAccess(policy, 'alice', 'get', 'local:app/db')).not.toBeNull();
    expect(checkAccess({ ...policy, access: null }, 'mallory', 'purge', 'x:y')).toBeNull();
    expect(checkAccess(null, 'mallory', 'purge', 'x:y')).toBeNull();
  });

  test('enforce throws PERMISSION_DENIED naming the rule; warn returns messages', () => {
    const denied = checkAccess(policy, 'bob', 'rotate', 'prod-vault:app/db')!;
    expect(() => enforce([denied], 'rotate', 'prod-vault:app/db')).toThrow(expect.objectContaining({ code: 'PERMISSION_DENIED', message: 'policy rule "who-may" (access) forbids rotate of prod-vault:app/db: no grant lets actor "bob" rotate prod-vault:app/db', details: { policy_rule: 'who-may', policy_check: 'access' } }));
    const tags = checkSecretState(policy, facts({ owner: undefined }), now);
    expect(() => enforce(tags, 'create', 'prod-vault:app/db')).toThrow(/policy rule "prod-db-owner" \(required_tags: owner\) forbids create of prod-vault:app\/db/);
    const warned = enforce([{ ...denied, mode: 'warn' }], 'rotate', 'prod-vault:app/db');
    expect(warned).toEqual(['policy rule "who-may" (access) warns on rotate of prod-vault:app/db: no grant lets actor "bob" rotate prod-vault:app/db']);
  });
});
