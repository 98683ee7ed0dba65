// Runs a delete over units: on this thread in short slices first (a small tree is gone before a
// worker would have started), then, if the tree turns out big, on worker threads that split work
// among themselves. Several threads keep a latency-bound disk busy; synchronous calls keep a fast
// one CPU-cheap; this thread's event loop stays free either way.
import { closeSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { setImmediate as tick } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { DeleteCtx, Tally, UnitState } from './walk-state.js';
import { newUnit, walkUnit } from './walker.js';
import type { FromWorker, ToWorker } from './worker.js';

export interface RunOutcome {
  tally: Tally;
  skipped: UnitState['skipped'];
  errors: UnitState['errors'];
  /** Something below the root stays: the root cannot be removed. */
  keep: boolean;
  /** Worker threads that took part (0: all on the calling thread). */
  workers: number;
  /** stopWhen said stop before the walk was done: what is left stays for someone else. */
  stopped?: boolean;
}

const SLICE_MS = 8;
/** Slices while racing the finds' start (stopWhen): short, so that "ready" is seen soon. */
const RACE_SLICE_MS = 1;
const INLINE_BUDGET_MS = 30;
/** Below this rate (entries removed per ms on this thread, ~65 us each) the disk is making us wait. */
const FAST_ENTRIES_PER_MS = 15;

export function defaultWorkers(): number {
  return Math.max(2, Math.min(8, availableParallelism() * 2));
}

export interface RunOptions {
  workers: number;
  /** Start the threads at once instead of when the disk proves slow or processors idle. */
  eager?: boolean;
  onTally(delta: Tally): void;
  /** Checked between slices on this thread: true stops the walk (its open folders are closed). */
  stopWhen?: () => boolean;
}

export async function runDelete(ctx: DeleteCtx, opts: RunOptions): Promise<RunOutcome> {
  const out: RunOutcome = { tally: { files: 0, dirs: 0, bytes: 0 }, skipped: [], errors: [], keep: false, workers: 0 };
  const add = (d: Tally): void => {
    out.tally.files += d.files;
    out.tally.dirs += d.dirs;
    out.tally.bytes += d.bytes;
    if (d.files || d.dirs || d.bytes) opts.onTally(d);
  };
  const merge = (u: UnitState): void => {
    out.skipped.push(...u.skipped);
    out.errors.push(...u.errors);
    out.keep ||= u.keep;
  };
  const shared = new SharedArrayBuffer(8);
  const counters = new Int32Array(shared); // [0] idle workers, [1] queued units
  const queue: UnitState[] = [newUnit(null, ctx.rootPath)];
  Atomics.store(counters, 1, 1);
  const take = (): UnitState | undefined => {
    const u = queue.shift();
    if (u) Atomics.sub(counters, 1, 1);
    return u;
  };

  // Phase 1: this thread, in slices.
  const reported = new WeakMap<UnitState, Tally>();
  const report = (u: UnitState): void => {
    const r = reported.get(u) ?? { files: 0, dirs: 0, bytes: 0 };
    add({ files: u.tally.files - r.files, dirs: u.tally.dirs - r.dirs, bytes: u.tally.bytes - r.bytes });
    reported.set(u, { ...u.tally });
  };
  const started = performance.now();
  let sliceEnd = 0;
  const inlineHooks = {
    idle: () => false,
    release: (fd: number) => closeSync(fd),
    split: (u: UnitState) => {
      queue.push(u);
      Atomics.add(counters, 1, 1);
    },
    yieldNow: () => performance.now() > sliceEnd,
  };
  let current: UnitState | undefined;
  let rate: number | undefined;
  let workers: Worker[] = [];
  const ready = new Set<Worker>();
  for (;;) {
    current ??= take();
    if (!current) {
      // Threads still starting have nothing of ours: the delete is done without waiting for them.
      void Promise.all(workers.map((w) => w.terminate())).catch(() => undefined);
      return out;
    }
    if (opts.stopWhen?.() && workers.length === 0) {
      for (const u of [current, ...queue]) for (const f of u.stack) closeSync(f.fd);
      out.stopped = true;
      return out;
    }
    const t1 = performance.now();
    const e1 = out.tally.files + out.tally.dirs;
    sliceEnd = t1 + (opts.stopWhen ? RACE_SLICE_MS : SLICE_MS);
    const done = walkUnit(ctx, current, inlineHooks);
    report(current);
    const sliceRate = (out.tally.files + out.tally.dirs - e1) / Math.max(0.05, performance.now() - t1);
    if (done) {
      merge(current);
      current = undefined;
      continue;
    }
    // Threads pay off when calls are slow (a disk that makes us wait) or when processors sit
    // idle; on a fast file system and a busy machine this thread alone, in slices, is cheapest.
    rate = rate === undefined ? sliceRate : 0.7 * rate + 0.3 * sliceRate;
    const worth = opts.eager || rate < FAST_ENTRIES_PER_MS || (loadavg()[0] ?? Infinity) < availableParallelism() - 1;
    if (
      opts.workers > 0 &&
      workers.length === 0 &&
      (opts.eager || performance.now() - started > INLINE_BUDGET_MS) &&
      worth
    ) {
      workers = startWorkers(opts.workers, shared, ready);
    }
    if (ready.size > 0) break; // hand the rest to the threads
    await tick();
  }
  return handOff(ctx, { workers, ready, current, queue, take, counters, add, merge, out });
}

type EarlyWorker = Worker & { early?: (m: FromWorker) => void };

function startWorkers(n: number, shared: SharedArrayBuffer, ready: Set<Worker>): Worker[] {
  const ws: Worker[] = [];
  for (let i = 0; i < n; i++) {
    const w: EarlyWorker = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: { isoswarmDeleteWorker: true, shared },
    });
    // Until handOff takes over, only 'ready' can arrive.
    const early = (m: FromWorker): void => {
      if (m.type === 'ready') ready.add(w);
    };
    w.on('message', early);
    w.once('error', () => undefined);
    w.early = early;
    ws.push(w);
  }
  return ws;
}

interface HandOff {
  workers: Worker[];
  ready: Set<Worker>;
  current: UnitState | undefined;
  queue: UnitState[];
  take(): UnitState | undefined;
  counters: Int32Array;
  add(d: Tally): void;
  merge(u: UnitState): void;
  out: RunOutcome;
}

/** Phase 2: the worker threads take every unit left; this thread only dispatches. */
async function handOff(ctx: DeleteCtx, h: HandOff): Promise<RunOutcome> {
  h.out.workers = h.workers.length;
  const idle: Worker[] = [];
  const busy = new Map<Worker, UnitState>();
  const alive = new Set(h.workers);
  if (h.current) {
    // Its open folders were opened here: the worker hands their fds back to be closed here.
    for (const f of h.current.stack) f.foreign = true;
    h.queue.unshift(h.current);
    Atomics.add(h.counters, 1, 1);
  }

  await new Promise<void>((resolve) => {
    const dispatch = (): void => {
      while (idle.length > 0) {
        const u = h.take();
        if (!u) break;
        const w = idle.pop() as Worker;
        Atomics.sub(h.counters, 0, 1);
        busy.set(w, u);
        w.postMessage({ type: 'unit', ctx, unit: u } satisfies ToWorker);
      }
      if (busy.size === 0 && (h.queue.length === 0 || alive.size === 0)) resolve();
    };
    const becomeIdle = (w: Worker): void => {
      idle.push(w);
      Atomics.add(h.counters, 0, 1);
    };
    for (const w of h.workers as EarlyWorker[]) {
      if (w.early) w.off('message', w.early);
      w.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          if (!h.ready.has(w)) {
            h.ready.add(w);
            becomeIdle(w);
          }
        } else if (m.type === 'split') {
          h.queue.push(m.unit); // counted by the worker when it split
        } else if (m.type === 'progress') {
          h.add(m.delta);
          for (const fd of m.release) closeSync(fd);
        } else {
          h.add(m.delta);
          for (const fd of m.release) closeSync(fd);
          h.merge(m.unit);
          busy.delete(w);
          becomeIdle(w);
        }
        dispatch();
      });
      w.on('error', (e) => {
        // A dead thread's unit is left as it was (reported; the tree root stays).
        const u = busy.get(w);
        h.out.errors.push({ path: u?.path ?? ctx.rootPath, op: 'worker', code: 'EWORKER', message: String(e) });
        h.out.keep = true;
        busy.delete(w);
        alive.delete(w);
        const i = idle.indexOf(w);
        if (i >= 0) {
          idle.splice(i, 1);
          Atomics.sub(h.counters, 0, 1);
        }
        dispatch();
      });
    }
    for (const w of h.ready) becomeIdle(w);
    dispatch();
  });
  await Promise.all(h.workers.map((w) => w.terminate()));
  // Units left when every thread died: finish them here.
  for (let u = h.take(); u; u = h.take()) {
    const before = { ...u.tally };
    walkUnit(ctx, u, {
      idle: () => false,
      release: (fd) => closeSync(fd),
      split: (x) => void h.queue.push(x),
      yieldNow: () => false,
    });
    h.add({
      files: u.tally.files - before.files,
      dirs: u.tally.dirs - before.dirs,
      bytes: u.tally.bytes - before.bytes,
    });
    h.merge(u);
  }
  return h.out;
}
