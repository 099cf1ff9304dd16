import { NETWORK_ERRNOS, NOT_SENT_ERRNOS } from '../../src/base/net.js';
import { mapAwsError } from '../../src/providers/aws.js';
import { mapVaultError } from '../../src/providers/vault.js';

/** One list of socket errnos (base/net.ts) read by every store: what each makes of them. */
const socketError = (code: string) => Object.assign(new Error(`connect ${code} 192.0.2.1:8200`), { code });

describe('socket errnos from base/net.ts', () => {
  test('not-sent errnos are network errnos', () => {
    expect([...NOT_SENT_ERRNOS].filter((c) => !NETWORK_ERRNOS.has(c))).toEqual([]);
  });

  test.each([...NETWORK_ERRNOS, 'ECONNABORTED', 'ERR_SOCKET_CONNECTION_TIMEOUT'])('vault: %s cannot reach the server', (errno) => {
    const err = mapVaultError(socketError(errno), 'https://vault:8200', 'read');
    expect([err.code, err.message, err.details]).toEqual(['NETWORK', `vault https://vault:8200: read: cannot reach the server (${errno})`, NOT_SENT_ERRNOS.has(errno) ? { applied: false } : {}]);
  });

  test.each([...NETWORK_ERRNOS])('aws: %s cannot reach Secrets Manager; unsent exactly when Vault says so', (errno) => {
    const err = mapAwsError(socketError(errno), 'us-east-1', 'get');
    expect([err.code, err.message, err.details]).toEqual(['NETWORK', `aws us-east-1: get: cannot reach Secrets Manager (${errno})`, NOT_SENT_ERRNOS.has(errno) ? { applied: false } : {}]);
  });
});
