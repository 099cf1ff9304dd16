import { parentPort, workerData } from 'node:worker_threads';
import { Detector } from './detector.js';
import { ManagedMatcher, type ManagedSpec } from './managed.js';
import { scanBatch } from './read.js';
import { buildRules } from './rule-config.js';
import type { RuleConfig } from './types.js';
import type { WalkEntry } from './walk.js';

/** A scan worker: rebuilds the rules from the same configuration, then reads and scans the files it is sent. */
export interface WorkerInit {
  config: RuleConfig;
  maxBytes: number;
  decodeDepth: number;
  /** scan --managed: the index key and entries (see managed.ts). */
  managed?: ManagedSpec;
  /** Shared with the pool's watchdog (see PROGRESS). */
  progress: SharedArrayBuffer;
}

const init = workerData as WorkerInit;
const { rules, allowlists } = buildRules(init.config);
const detector = new Detector(rules, allowlists, { decodeDepth: init.decodeDepth, ...(init.managed ? { managed: new ManagedMatcher(init.managed) } : {}) });
detector.progress = new Int32Array(init.progress);

parentPort!.on('message', (batch: WalkEntry[]) => {
  parentPort!.postMessage(scanBatch(detector, batch, init.maxBytes));
});
