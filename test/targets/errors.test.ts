import { NETWORK_ERRNOS } from '../../src/base/net.js';
import { targetError } from '../../src/targets/errors.js';

describe('targetError', () => {
  test.each([...NETWORK_ERRNOS])('%s is NETWORK whatever the driver says', (errno) => {
    const err = targetError(Object.assign(new Error(`connect ${errno} 192.0.2.1:5432`), { code: errno }), 'postgres db:5432', () => 'INTERNAL', []);
    expect([err.code, err.message, err.hint]).toEqual(['NETWORK', `postgres db:5432: connect ${errno} 192.0.2.1:5432`, 'check that the target is running and reachable (host, port, TLS)']);
  });

  test('another errno is left to the driver classification', () => {
    expect(targetError(Object.assign(new Error('x'), { code: 'EPROTO' }), 't', () => 'AUTH_FAILED', []).code).toBe('AUTH_FAILED');
    expect(targetError(Object.assign(new Error('x'), { code: 'EPROTO' }), 't', () => undefined, []).code).toBe('INTERNAL');
  });
});
