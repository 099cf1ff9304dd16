import { Worker } from 'node:worker_threads';
import { VhError } from '../base/errors.js';
import { PROGRESS } from './detector.js';
import type { BatchResult } from './read.js';
import type { WalkEntry } from './walk.js';
import type { WorkerInit } from './worker.js';

/** Default for `PoolOptions.stallMs`: no step of a scan (one rule over one file, or one match) takes this long. */
export const STALL_MS = 30_000;

export interface PoolOptions {
  /** A worker that shows no progress for this long is stopped and its file reported (see `ScanPool`). */
  stallMs?: number;
  /** Rule ids in the detector's order, to name the rule a stopped worker was running. */
  ruleIds: readonly string[];
}

interface Slot {
  worker: Worker;
  progress: Int32Array;
  /** Batches sent and not yet answered, oldest (the one being scanned) first. */
  inFlight: WalkEntry[][];
  /** Files of answered batches: where the current batch starts in the worker's file count. */
  filesDone: number;
  lastBeat: number;
  lastChange: number;
}

/**
 * Worker threads that read and scan batches of files. Each worker holds at most two batches, so the walk
 * keeps ahead of the readers without queueing the whole tree in any one worker.
 *
 * A watchdog guards against a regex that does not run in linear time (built-in rules are tested for that;
 * rules from a `.gitleaks.toml` are written for Go's linear-time engine and may backtrack here): a worker
 * whose progress counter has not moved for `stallMs` is stopped, the file it was on is reported as an error
 * naming the rule, and the rest of its files go to a fresh worker.
 */
export class ScanPool {
  private readonly slots: Slot[] = [];
  private readonly queue: WalkEntry[][] = [];
  private outstanding = 0;
  private failure: Error | undefined;
  private idle: (() => void) | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly stallMs: number;

  constructor(
    size: number,
    private readonly init: Omit<WorkerInit, 'progress'>,
    private readonly onResult: (r: BatchResult) => void,
    private readonly options: PoolOptions,
  ) {
    this.stallMs = options.stallMs ?? STALL_MS;
    for (let i = 0; i < size; i++) this.slots.push(this.start());
    this.timer = setInterval(() => this.watch(), Math.min(1000, Math.max(50, this.stallMs / 4)));
    this.timer.unref();
  }

  private start(): Slot {
    const progress = new Int32Array(new SharedArrayBuffer(4 * 3));
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: { ...this.init, progress: progress.buffer } satisfies WorkerInit });
    const slot: Slot = { worker, progress, inFlight: [], filesDone: 0, lastBeat: 0, lastChange: Date.now() };
    worker.on('message', (result: BatchResult) => {
      slot.filesDone += slot.inFlight.shift()?.length ?? 0;
      this.outstanding--;
      this.onResult(result);
      this.pump();
    });
    worker.on('error', (err) => {
      this.failure = new VhError('INTERNAL', `scan worker failed: ${err.message}`, { cause: err });
      this.outstanding = 0;
      this.idle?.();
    });
    return slot;
  }

  submit(batch: WalkEntry[]): void {
    this.queue.push(batch);
    this.outstanding++;
    this.pump();
  }

  private pump(): void {
    for (const slot of [...this.slots].sort((a, b) => a.inFlight.length - b.inFlight.length)) {
      while (slot.inFlight.length < 2 && this.queue.length) {
        const batch = this.queue.shift()!;
        if (slot.inFlight.length === 0) slot.lastChange = Date.now();
        slot.inFlight.push(batch);
        slot.worker.postMessage(batch);
      }
    }
    if (this.outstanding === 0) this.idle?.();
  }

  private watch(): void {
    const now = Date.now();
    for (const [i, slot] of this.slots.entries()) {
      const beat = Atomics.load(slot.progress, PROGRESS.beat);
      if (beat !== slot.lastBeat || slot.inFlight.length === 0) {
        slot.lastBeat = beat;
        slot.lastChange = now;
      } else if (now - slot.lastChange >= this.stallMs) this.replace(i, slot);
    }
  }

  /** Stops a stuck worker: its file becomes an error naming the rule, its other files go to a new worker. */
  private replace(i: number, slot: Slot): void {
    slot.worker.removeAllListeners();
    slot.worker.on('error', () => undefined); // whatever it says while it is being stopped
    void slot.worker.terminate();
    const [current = [], ...waiting] = slot.inFlight;
    const at = Math.max(0, Atomics.load(slot.progress, PROGRESS.file) - 1 - slot.filesDone);
    const rule = this.options.ruleIds[Atomics.load(slot.progress, PROGRESS.rule) - 1];
    const file = current[at];
    const seconds = Math.round(this.stallMs / 100) / 10;
    const results = file
      ? [{ findings: [], bytes: 0, error: { file: file.rel, message: rule ? `not scanned: rule "${rule}" ran for over ${seconds} s on this file (its regex may not run in linear time: simplify it or limit it with a path)` : `not scanned: no progress for ${seconds} s` } }]
      : [];
    this.onResult({ results, clean: 0, cleanBytes: 0 });
    const rest = [current.slice(at + 1), ...waiting].filter((b) => b.length > 0);
    // The stuck batch is answered here; the rest is queued again as new batches.
    this.outstanding -= slot.inFlight.length;
    this.slots[i] = this.start();
    for (const b of rest.reverse()) {
      this.queue.unshift(b);
      this.outstanding++;
    }
    this.pump();
  }

  /** Waits for every submitted batch, then stops the workers. */
  async finish(): Promise<void> {
    if (this.outstanding > 0 && !this.failure) await new Promise<void>((resolve) => (this.idle = resolve));
    clearInterval(this.timer);
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    if (this.failure) throw this.failure;
  }
}
