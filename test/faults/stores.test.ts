import { faultName } from '../helpers/fault-proxy.js';
import { Bench, discoverWrites, httpStoreRig, judgeCreate, judgeRevoke, judgeRotation, selectCases, FAULTS, type Case, type HttpStoreRig, type WriteCall } from './store-matrix.js';

/**
 * Faults on the wire between vh-secrets and OpenBao, moto, the Key Vault double (TLS terminated at the proxy) and
 * the Secret Manager double (gRPC), for every write call of `rotate`, `create` and
 * `revoke` (see store-matrix.ts for how calls are found and what "legal" means). VH_FAULTS_FULL=1 runs every
 * call × every fault; the default is the sample described at `selectCases`. VH_FAULTS_STORES=vault,aws runs only
 * those stores.
 */

const rigs: { rig: HttpStoreRig; calls: WriteCall[]; cases: Case[] }[] = [];
const only = process.env.VH_FAULTS_STORES?.split(',').filter(Boolean);
for (const provider of (['vault', 'aws', 'azure', 'gcp'] as const).filter((p) => !only || only.includes(p))) {
  const rig = await httpStoreRig(provider);
  if (rig.skip) {
    process.stderr.write(`SKIP fault matrix on ${provider}: ${rig.skip}\n`);
    rigs.push({ rig, calls: [], cases: [] });
    continue;
  }
  const calls = await discoverWrites(rig);
  rigs.push({ rig, calls, cases: selectCases(calls) });
}

const results: { store: string; call: string; fault: string; ok: boolean }[] = [];

afterAll(() => {
  const lines: string[] = [];
  for (const { rig, calls, cases } of rigs) {
    if (!cases.length) continue;
    const rs = results.filter((r) => r.store === rig.provider);
    const faults = new Set(cases.map((c) => faultName(c.fault))).size;
    lines.push(
      `  ${rig.provider.padEnd(6)} ${faults} faults × ${calls.length} calls (${cases.length} of ${calls.length * FAULTS.length} cases run): consistent ${rs.filter((r) => r.ok).length}/${rs.length}`,
    );
    for (const r of rs.filter((x) => !x.ok)) lines.push(`      INCONSISTENT ${r.call} × ${r.fault}`);
  }
  const faults = new Set(rigs.flatMap((r) => r.cases.map((c) => faultName(c.fault)))).size;
  const calls = rigs.reduce((n, r) => n + r.calls.length, 0);
  const stores = rigs.filter((r) => r.cases.length).length;
  console.log(
    `fault matrix (${process.env.VH_FAULTS_FULL === '1' ? 'full' : 'sample; VH_FAULTS_FULL=1 for all'}):\n` +
      `faults × calls × stores: ${faults} × ${calls} × ${stores}: consistent ${results.filter((r) => r.ok).length}/${results.length}\n${lines.join('\n')}`,
  );
});

for (const { rig, calls, cases } of rigs) {
  (rig.skip ? describe.skip : describe)(`wire faults on ${rig.provider}`, () => {
    test('a clean run records write calls for every scenario', () => {
      for (const s of ['rotate', 'create', 'revoke-version', 'revoke-secret']) expect(calls.filter((c) => c.scenario === s).length).toBeGreaterThan(0);
    });
    for (const { call, fault } of cases) {
      const title = `${rig.provider} ${call.scenario}: ${call.label} × ${faultName(fault)}`;
      test.concurrent(
        title,
        async () => {
          const bench = await Bench.open(rig);
          const row = { store: rig.provider, call: `${call.scenario}: ${call.label}`, fault: faultName(fault), ok: false };
          results.push(row);
          try {
            const { name, value } = await bench.setUp(call.scenario);
            const version = call.scenario === 'revoke-version' ? await bench.previousVersion(name) : undefined;
            bench.proxy.arm({ match: (r) => rig.isWrite(r) && rig.kindOf(r) === call.kind, occurrence: call.occurrence, fault });
            const first = await bench.act(call.scenario, name, value, version);
            bench.proxy.disarm();
            const fired = bench.proxy.fired();
            const violations: string[] = [];
            if (fired === 0) violations.push(`the fault never fired: ${call.label} was not made this time`);
            if (call.scenario === 'rotate') violations.push(...(await judgeRotation(bench, name, value, first)));
            else if (call.scenario === 'create') violations.push(...(await judgeCreate(bench, name, value, first)));
            else violations.push(...(await judgeRevoke(bench, call.scenario, name, value, version, first)));
            row.ok = violations.length === 0;
            // One assertion per case: the title names store, call and fault; the list says what went wrong.
            expect({ case: title, violations }).toEqual({ case: title, violations: [] });
          } finally {
            await bench.close();
          }
        },
        120_000,
      );
    }
  });
}
