import { mapAwsError, requestToken } from '../../src/providers/aws.js';
import { mapAzureError, vaultNameFor } from '../../src/providers/azure.js';
import { mapGcpError, secretIdFor } from '../../src/providers/gcp.js';
import { decodeValue, encodeValue, mapVaultError } from '../../src/providers/vault.js';

/** Pure units: the wire behaviour is proven by the contract suite against real peers. */
describe('value codec for Vault KV maps', () => {
  test.each([
    ['plain text', Buffer.from('hunter2')],
    ['canonical JSON object of strings', Buffer.from('{"password":"p","user":"u"}')],
    ['non-canonical JSON keeps its bytes', Buffer.from('{ "password": "p" }')],
    ['a JSON object whose only key is value', Buffer.from('{"value":"x"}')],
    ['binary', Buffer.from([0, 255, 1, 128, 10])],
    ['JSON with a non-string field', Buffer.from('{"port":5432}')],
  ])('%s round-trips byte for byte', (_label, value) => {
    expect(decodeValue(encodeValue(value)).equals(value)).toBe(true);
  });

  test('string maps are stored natively so `vault kv get -field=` works', () => {
    expect(encodeValue(Buffer.from('{"password":"p"}'))).toEqual({ password: 'p' });
    expect(encodeValue(Buffer.from('plain'))).toEqual({ value: 'plain' });
    // Vault hands maps back with sorted keys: any other order is kept verbatim, so it reads back byte for byte.
    expect(encodeValue(Buffer.from('{"password":"p","username":"u"}'))).toEqual({ password: 'p', username: 'u' });
    const unsorted = Buffer.from('{"username":"u","password":"p"}');
    expect(encodeValue(unsorted)).toEqual({ value: unsorted.toString() });
    expect(decodeValue(encodeValue(unsorted)).equals(unsorted)).toBe(true);
  });
});

describe('store names that the cloud does not allow', () => {
  test('GCP secret ids and Key Vault names are derived deterministically and are valid', () => {
    for (const name of ['app/db/password', 'a_b-c.d', 'x+y=z']) {
      expect(secretIdFor(name)).toMatch(/^[A-Za-z0-9_-]{1,255}$/);
      expect(vaultNameFor(name)).toMatch(/^[0-9a-zA-Z-]{1,127}$/);
    }
    expect(secretIdFor('app/db')).toBe('app__db');
    expect(vaultNameFor('app/db_password')).toBe('app--db-password');
  });

  test('AWS ClientRequestToken is 32-64 characters and stable', () => {
    expect(requestToken('short')).toHaveLength(64);
    expect(requestToken('short')).toBe(requestToken('short'));
    const uuid = '123e4567-e89b-12d3-a456-426614174000';
    expect(requestToken(uuid)).toBe(uuid);
  });
});

describe('SDK errors map onto the shared codes', () => {
  test.each([
    [mapVaultError({ response: { statusCode: 400 }, message: 'check-and-set parameter did not match the current version' }, 'v', 'w'), 'CONFLICT'],
    [mapVaultError({ response: { statusCode: 403 }, message: 'permission denied' }, 'v', 'w'), 'PERMISSION_DENIED'],
    [mapVaultError({ response: { statusCode: 429 }, message: '' }, 'v', 'w'), 'THROTTLED'],
    [mapVaultError({ response: { statusCode: 503 }, message: 'Vault is sealed' }, 'v', 'w'), 'NETWORK'],
    [mapVaultError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'v', 'w'), 'NETWORK'],
    [mapAwsError({ name: 'ResourceNotFoundException', message: 'x' }, 'a', 'w'), 'NOT_FOUND'],
    [mapAwsError({ name: 'ThrottlingException', message: 'x', $metadata: { httpStatusCode: 400 } }, 'a', 'w'), 'THROTTLED'],
    [mapAwsError({ name: 'UnrecognizedClientException', message: 'x' }, 'a', 'w'), 'AUTH_FAILED'],
    [mapAwsError({ name: 'AccessDeniedException', message: 'x' }, 'a', 'w'), 'PERMISSION_DENIED'],
    [mapAwsError({ name: 'ResourceExistsException', message: 'x' }, 'a', 'w'), 'CONFLICT'],
    [mapAzureError({ statusCode: 401, message: 'x' }, 'z', 'w'), 'AUTH_FAILED'],
    [mapAzureError({ statusCode: 403, message: 'Operation get is not allowed on a disabled secret.' }, 'z', 'w'), 'NOT_FOUND'],
    [mapAzureError({ statusCode: 429, message: 'x' }, 'z', 'w'), 'THROTTLED'],
    [mapAzureError({ name: 'CredentialUnavailableError', message: 'x' }, 'z', 'w'), 'AUTH_FAILED'],
    [mapGcpError({ code: 8, details: 'quota' }, 'g', 'w'), 'THROTTLED'],
    [mapGcpError({ code: 14, details: 'unavailable' }, 'g', 'w'), 'NETWORK'],
    [mapGcpError({ code: 16, details: 'unauthenticated' }, 'g', 'w'), 'AUTH_FAILED'],
    [mapGcpError({ code: 10, details: 'etag mismatch' }, 'g', 'w'), 'CONFLICT'],
  ])('%#: %s', (err, code) => {
    expect(err.code).toBe(code);
    expect(err.message).not.toMatch(/undefined/);
  });
});
