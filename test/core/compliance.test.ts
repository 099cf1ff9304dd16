import { CONTROLS, FRAMEWORKS, combine, parseFramework } from '../../src/compliance/compliance.js';
import type { PostureFinding, PostureProbe } from '../../src/core/store.js';
import { posture as aws } from '../../src/providers/aws.js';
import { posture as azure } from '../../src/providers/azure.js';
import { posture as file } from '../../src/providers/file.js';
import { posture as gcp } from '../../src/providers/gcp.js';
import { posture as vault } from '../../src/providers/vault.js';

const store = (provider: string, options: Record<string, unknown> = {}): [string, Record<string, unknown>] => [provider, options];
/** What compliance reports as a store's TLS: its provider's posture, from the store's settings. */
const POSTURES = { aws, azure, file, gcp, vault } as Record<string, PostureProbe<Record<string, unknown>>>;
const transport = (provider: string, options: Record<string, unknown>, environ?: NodeJS.ProcessEnv): PostureFinding =>
  POSTURES[provider]!(options, { alias: provider, home: '/nonexistent' }, environ).transport;

describe('compliance building blocks', () => {
  test('a control passes only when all of its evidence passes', () => {
    expect(combine(['pass', 'pass'])).toBe('pass');
    expect(combine(['pass', 'not-measurable'])).toBe('not-measurable');
    expect(combine(['not-measurable', 'fail', 'pass'])).toBe('fail');
    expect(combine([])).toBe('not-measurable');
  });

  test('TLS to each kind of store, from its configured endpoint', () => {
    expect(transport(...store('file')).status).toBe('pass');
    expect(transport(...store('vault', { address: 'https://vault.example:8200' })).status).toBe('pass');
    expect(transport(...store('vault', { address: 'http://vault.example:8200' }))).toEqual({ status: 'fail', detail: 'address http://vault.example:8200 uses http: secrets travel without TLS' });
    expect(transport(...store('vault'), { VAULT_ADDR: 'http://10.0.0.1:8200' }).status).toBe('fail');
    expect(transport(...store('vault'), {}).status).toBe('fail'); // the built-in default is http://127.0.0.1:8200
    expect(transport(...store('aws')).status).toBe('pass');
    expect(transport(...store('aws', { endpoint: 'http://127.0.0.1:5055' })).status).toBe('fail');
    expect(transport(...store('azure', { vault_url: 'https://kv.vault.azure.net' })).status).toBe('pass');
    expect(transport(...store('azure'), {}).status).toBe('not-measurable');
    expect(transport(...store('gcp')).status).toBe('pass');
    expect(transport(...store('gcp', { endpoint: 'localhost:8085' })).status).toBe('fail');
    expect(transport(...store('gcp', { endpoint: 'secretmanager.private:443' })).status).toBe('pass');
    expect(transport(...store('gcp', { endpoint: 'secretmanager.private:443', insecure: true })).status).toBe('fail');
    expect(transport(...store('vault', { address: 'not a url' })).status).toBe('not-measurable');
  });

  test('every framework maps its controls; --framework values', () => {
    const counts = Object.fromEntries(FRAMEWORKS.map((f) => [f, CONTROLS.filter((c) => c.framework === f).length]));
    expect(counts).toEqual({ 'nist-800-53': 4, soc2: 4, iso27001: 4, hipaa: 4, 'pci-dss': 9, gdpr: 5 });
    expect(parseFramework(undefined)).toEqual([...FRAMEWORKS]);
    expect(parseFramework('pci-dss')).toEqual(['pci-dss']);
    expect(parseFramework('gdpr')).toEqual(['gdpr']);
    expect(parseFramework('all')).toEqual([...FRAMEWORKS]);
    expect(parseFramework('soc2')).toEqual(['soc2']);
    expect(() => parseFramework('pci')).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});
