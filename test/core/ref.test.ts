import { formatRef, parseRef } from '../../src/core/ref.js';

describe('parseRef', () => {
  test.each([
    ['app/db', { store: undefined, name: 'app/db', key: undefined, selector: undefined }],
    ['prod-vault:app/db#password', { store: 'prod-vault', name: 'app/db', key: 'password', selector: undefined }],
    ['aws-eu:prod/db/password@AWSPREVIOUS', { store: 'aws-eu', name: 'prod/db/password', key: undefined, selector: { stage: 'previous' } }],
    ['gcp:api-key@3', { store: 'gcp', name: 'api-key', key: undefined, selector: { version: '3' } }],
    ['x:a_b-c.d/e#k@latest', { store: 'x', name: 'a_b-c.d/e', key: 'k', selector: { stage: 'current' } }],
  ])('%s', (input, expected) => {
    expect(parseRef(input)).toEqual(expected);
  });

  test.each(['', ':x', 'a b', 'a//b', 'a/../b', '/abs', 'trailing/', 'x@', 'x#', 'x@ver sion', `${'a'.repeat(600)}`])('rejects %j with a usage error', (input) => {
    expect(() => parseRef(input)).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });

  test('formatRef round-trips', () => {
    for (const text of ['app/db', 'prod-vault:app/db#password@3', 's:n@pending']) expect(formatRef(parseRef(text))).toBe(text);
  });
});
