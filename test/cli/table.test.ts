import { fitWidths, shortVersion } from '../../src/cli/io.js';

test('tables on a terminal fit 100 columns: the widest columns give way together, none below 12', () => {
  const head = ['SECRET', 'TYPE', 'VERSION', 'ROTATED', 'EXPIRES', 'TAGS'];
  const row = ['local:app/a-very-long-secret-name-for-testing-table-width-1', 'generic', '1', '2026-12-05', '-', 'team=payments-and-billing env=production-eu-west'];
  const w = fitWidths(head, [row], 100)!;
  expect(w.reduce((a, b) => a + b, 0) + w.length + 1).toBe(100);
  expect(w.slice(1, 5)).toEqual([9, 9, 12, 9]);
  expect(Math.abs(w[0]! - w[5]!)).toBeLessThanOrEqual(1);
  expect(fitWidths(head, [['a', 'b', 'c', 'd', 'e', 'f']], 100)).toBeUndefined();
});

test('long version ids are shortened as git shortens hashes; short ones are kept', () => {
  expect(shortVersion('3f2a8c1e-0b4d-4e6f-8a9b-1c2d3e4f5a6b')).toBe('3f2a8c1e');
  expect(shortVersion('a'.repeat(64))).toBe('aaaaaaaa');
  expect(shortVersion('17')).toBe('17');
  expect(shortVersion('rot-20261205-1a2b3c4d')).toBe('rot-20261205-1a2b3c4d');
});
