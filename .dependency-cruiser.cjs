// The layer picture of docs/ARCHITECTURE.md, enforced by `npm run check:layers` (and by the test suite):
//   cli → jobs (rotation, health, lifecycle, compliance, backup) → core → {providers, targets, audit, notify, scan} → base
// An import may only run down the picture; no circle anywhere. The lower floors see core only through its
// contracts (core/store.ts, core/target.ts, core/ref.ts), as types.
const JOBS = '^src/(rotation|health|lifecycle|compliance|backup)/';
const LOWER = '^src/(providers|targets|audit|notify|scan)/';
const CONTRACTS = '^src/core/(store|target|ref)\\.ts$';

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'a circle makes load order and layering undefined', from: {}, to: { circular: true } },
    { name: 'base-is-the-ground', severity: 'error', comment: 'src/base/ imports nothing of the project above it', from: { path: '^src/base/' }, to: { path: '^src/', pathNot: '^src/base/' } },
    { name: 'lower-floors-not-up', severity: 'error', comment: 'providers, targets, audit, notify and scan do not import core, the jobs or the CLI', from: { path: LOWER }, to: { path: '^src/(core|cli|rotation|health|lifecycle|compliance|backup)/', pathNot: CONTRACTS } },
    { name: 'lower-floors-contracts-as-types', severity: 'error', comment: 'the lower floors use core\'s contracts as types only', from: { path: LOWER }, to: { path: CONTRACTS, dependencyTypesNot: ['type-only'] } },
    { name: 'core-not-up', severity: 'error', comment: 'core does not import a job or the CLI', from: { path: '^src/core/' }, to: { path: `^src/cli/|${JOBS}` } },
    { name: 'jobs-not-cli', severity: 'error', comment: 'a job returns data; only the CLI renders it', from: { path: JOBS }, to: { path: '^src/cli/' } },
    {
      name: 'jobs-apart',
      severity: 'error',
      comment: 'a job does not reach into another, except lifecycle and compliance reading the health evaluation',
      from: { path: JOBS },
      to: { path: JOBS, pathNot: ['^src/$1/', '^src/health/evaluate\\.ts$'] },
    },
    { name: 'no-test-in-src', severity: 'error', from: { path: '^src/' }, to: { path: '^test/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
