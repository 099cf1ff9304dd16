import { VhError } from '../../src/base/errors.js';
import type { AuditRecorder } from '../../src/audit/logger.js';
import type { Config } from '../../src/core/config.js';
import { Runtime, type Openers } from '../../src/core/runtime.js';
import type { SecretDescription, SecretStore, VersionInfo } from '../../src/core/store.js';
import { VersionWatch } from '../../src/core/watch.js';

/** What `run --watch` compares: the version each reference read against the store's, one describe per secret. */

interface FakeSecret {
  current: string;
  previous?: string;
  /** describe throws this. */
  error?: VhError;
}

function runtimeWith(secrets: Map<string, FakeSecret>, describes: string[]): Runtime {
  const store = {
    async describe(name: string): Promise<SecretDescription> {
      describes.push(name);
      const s = secrets.get(name);
      if (!s) throw new VhError('NOT_FOUND', `secret "${name}" not found`);
      if (s.error) throw s.error;
      const versions: VersionInfo[] = [{ version: s.current, createdAt: undefined, state: 'enabled', stages: ['current'] }];
      if (s.previous) versions.push({ version: s.previous, createdAt: undefined, state: 'enabled', stages: ['previous'] });
      return { name, metadata: {}, createdAt: undefined, updatedAt: undefined, currentVersion: s.current, pendingVersion: undefined, versions, revoked: false };
    },
  } as unknown as SecretStore;
  const config = { defaultStore: 'local', stores: new Map([['local', { provider: 'fake', settings: () => ({}) }]]), paths: { home: '/nonexistent' } } as unknown as Config;
  const openers = { store: async () => store } as unknown as Openers;
  return new Runtime(config, {} as AuditRecorder, { name: 'test', type: 'human', sourceIp: null } as never, openers);
}

test('a new current version is a change; a reference pinned to a version id is not watched; one describe per secret', async () => {
  const secrets = new Map<string, FakeSecret>([
    ['app/db', { current: '1' }],
    ['app/cfg', { current: '7' }],
  ]);
  const describes: string[] = [];
  const watch = new VersionWatch(runtimeWith(secrets, describes), [
    { ref: 'app/db', version: '1' },
    { ref: 'local:app/db#user', version: '1' },
    { ref: 'app/cfg@7', version: '7' },
  ]);
  expect(watch.refs).toEqual(['local:app/db']);
  expect(watch.pinned).toEqual(['local:app/cfg@7']);
  expect(await watch.check()).toEqual({ changed: [], failed: [] });
  expect(describes).toEqual(['app/db']);

  secrets.set('app/db', { current: '2', previous: '1' });
  secrets.set('app/cfg', { current: '8' });
  expect((await watch.check()).changed).toEqual([{ ref: 'local:app/db', from: '1', to: '2' }]);
  // Until the new versions are accepted (read into the environment), the change stands.
  expect((await watch.check()).changed).toHaveLength(1);
  watch.accept([
    { ref: 'app/db', version: '2' },
    { ref: 'local:app/db#user', version: '2' },
    { ref: 'app/cfg@7', version: '7' },
  ]);
  expect((await watch.check()).changed).toEqual([]);
});

test('a stage follows the version holding it; two reads of one secret at different versions count as moved', async () => {
  const secrets = new Map<string, FakeSecret>([['app/db', { current: '2', previous: '1' }]]);
  const watch = new VersionWatch(runtimeWith(secrets, []), [
    { ref: 'app/db@previous', version: '1' },
    { ref: 'app/db#a', version: '2' },
    { ref: 'app/db#b', version: '3' },
  ]);
  expect(watch.refs).toEqual(['local:app/db@previous', 'local:app/db']);
  expect((await watch.check()).changed).toEqual([{ ref: 'local:app/db', from: undefined, to: '2' }]);
  secrets.set('app/db', { current: '3', previous: '2' });
  watch.accept([
    { ref: 'app/db@previous', version: '1' },
    { ref: 'app/db#a', version: '3' },
    { ref: 'app/db#b', version: '3' },
  ]);
  expect((await watch.check()).changed).toEqual([{ ref: 'local:app/db@previous', from: '1', to: '2' }]);
});

test('a secret that cannot be checked is a failure with its code; the others are still compared', async () => {
  const secrets = new Map<string, FakeSecret>([
    ['app/a', { current: '1', error: new VhError('NETWORK', 'store unreachable') }],
    ['app/b', { current: '5' }],
  ]);
  const watch = new VersionWatch(runtimeWith(secrets, []), [
    { ref: 'app/a', version: '1' },
    { ref: 'app/b', version: '4' },
  ]);
  expect(await watch.check()).toEqual({
    changed: [{ ref: 'local:app/b', from: '4', to: '5' }],
    failed: [{ ref: 'local:app/a', code: 'NETWORK', message: 'store unreachable' }],
  });
});
