import { Worker } from 'node:worker_threads';
import { VhError } from '../core/errors.js';
import type { BatchResult } from './read.js';
import type { WalkEntry } from './walk.js';
import type { WorkerInit } from './worker.js';

interface Slot {
  worker: Worker;
  busy: number;
}

/**
 * Worker threads that read and scan batches of files. Each worker holds at most two batches, so the walk
 * keeps ahead of the readers without queueing the whole tree in any one worker.
 */
export class ScanPool {
  private readonly slots: Slot[] = [];
  private readonly queue: WalkEntry[][] = [];
  private outstanding = 0;
  private failure: Error | undefined;
  private idle: (() => void) | undefined;

  constructor(
    size: number,
    init: WorkerInit,
    private readonly onResult: (r: BatchResult) => void,
  ) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: init });
      const slot: Slot = { worker, busy: 0 };
      worker.on('message', (result: BatchResult) => {
        slot.busy--;
        this.outstanding--;
        this.onResult(result);
        this.pump();
      });
      worker.on('error', (err) => {
        this.failure = new VhError('INTERNAL', `scan worker failed: ${err.message}`, { cause: err });
        this.outstanding = 0;
        this.idle?.();
      });
      this.slots.push(slot);
    }
  }

  submit(batch: WalkEntry[]): void {
    this.queue.push(batch);
    this.outstanding++;
    this.pump();
  }

  private pump(): void {
    for (const slot of [...this.slots].sort((a, b) => a.busy - b.busy)) {
      while (slot.busy < 2 && this.queue.length) {
        slot.busy++;
        slot.worker.postMessage(this.queue.shift());
      }
    }
    if (this.outstanding === 0) this.idle?.();
  }

  /** Waits for every submitted batch, then stops the workers. */
  async finish(): Promise<void> {
    if (this.outstanding > 0 && !this.failure) await new Promise<void>((resolve) => (this.idle = resolve));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    if (this.failure) throw this.failure;
  }
}
