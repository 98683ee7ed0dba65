// Worker thread of the tree deleter: walks the units it is given to completion, splits folders off
// for idle threads, and reports progress every 100 ms. Only a thread started by run.ts answers.
import { parentPort, workerData } from 'node:worker_threads';
import type { DeleteCtx, Tally, UnitState } from './walk-state.js';
import { walkUnit } from './walker.js';

export type ToWorker = { type: 'unit'; ctx: DeleteCtx; unit: UnitState };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'split'; unit: UnitState }
  | { type: 'progress'; delta: Tally; release: number[] }
  | { type: 'done'; unit: UnitState; delta: Tally; release: number[] };

const data = workerData as { isoswarmDeleteWorker?: boolean; shared?: SharedArrayBuffer } | null;
if (data?.isoswarmDeleteWorker && data.shared && parentPort) {
  const port = parentPort;
  // [0] threads waiting for work, [1] units queued or on their way to the queue.
  const shared = new Int32Array(data.shared);
  const post = (m: FromWorker): void => port.postMessage(m);
  port.on('message', (m: ToWorker) => {
    const sent: Tally = { ...m.unit.tally };
    let release: number[] = [];
    const released = (): number[] => {
      const r = release;
      release = [];
      return r;
    };
    let last = Date.now();
    const delta = (): Tally => {
      const t = m.unit.tally;
      const d = { files: t.files - sent.files, dirs: t.dirs - sent.dirs, bytes: t.bytes - sent.bytes };
      Object.assign(sent, t);
      return d;
    };
    walkUnit(m.ctx, m.unit, {
      idle: () => Atomics.load(shared, 0) > Atomics.load(shared, 1),
      release: (fd) => void release.push(fd),
      split: (unit) => {
        Atomics.add(shared, 1, 1);
        post({ type: 'split', unit });
      },
      yieldNow: () => {
        const now = Date.now();
        if (now - last >= 100) {
          last = now;
          post({ type: 'progress', delta: delta(), release: released() });
        }
        return false;
      },
    });
    post({ type: 'done', unit: m.unit, delta: delta(), release: released() });
  });
  post({ type: 'ready' });
}
