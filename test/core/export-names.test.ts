import { exportVariable } from '../../src/core/export.js';
import { variableName } from '../../src/cli/value-format.js';

test('export variable names: the name after the prefix, upper case, anything else an underscore', () => {
  expect(exportVariable('app/db-password', 'app/')).toBe('DB_PASSWORD');
  expect(exportVariable('app/x/y.z', 'app/')).toBe('X_Y_Z');
  expect(exportVariable('app/db', '')).toBe('APP_DB');
  expect(exportVariable('app/1st', 'app/')).toBe('_1ST');
  // Two names, one variable: export refuses them (see exportSecrets).
  expect(exportVariable('app/a-b', 'app/')).toBe(exportVariable('app/a_b', 'app/'));
});

test('get --format variable names: the last path segment', () => {
  expect(variableName('app/db-password')).toBe('DB_PASSWORD');
  expect(variableName('9lives')).toBe('_9LIVES');
});
