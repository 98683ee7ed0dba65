// A small pool of worker threads running unlinkBatch, so a big delete keeps several file-system
// operations in flight (latency-bound disks) without a promise per file (CPU-bound ones).
import { Worker } from 'node:worker_threads';
import { unlinkBatch, type BatchRequest, type BatchResult } from './unlink-batch.js';

export interface UnlinkPool {
  run(dirFd: number, names: string[]): Promise<BatchResult>;
  close(): Promise<void>;
}

/**
 * Starts workers lazily: batches run inline until `inlineFiles` entries were seen (a small tree
 * is gone before a worker would have started), then on `size` workers.
 */
export function createUnlinkPool(size: number, opts: { countBytes?: boolean; inlineFiles?: number } = {}): UnlinkPool {
  const inlineFiles = opts.inlineFiles ?? 2048;
  const countBytes = opts.countBytes ?? true;
  const workers: Worker[] = [];
  const waiting = new Map<number, { resolve: (r: BatchResult) => void; reject: (e: Error) => void }>();
  let seq = 0;
  let seen = 0;
  let next = 0;
  let failed: Error | null = null;

  const start = (): void => {
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL('./unlink-batch.js', import.meta.url), { workerData: { isoswarmUnlinkWorker: true } });
      w.on('message', (r: BatchResult) => {
        waiting.get(r.id)?.resolve(r);
        waiting.delete(r.id);
      });
      // A dead worker fails every batch still waiting: the caller reports them, nothing is retried blindly.
      w.on('error', (e) => {
        failed = e;
        for (const [id, p] of waiting) {
          p.reject(e);
          waiting.delete(id);
        }
      });
      workers.push(w);
    }
  };

  return {
    async run(dirFd, names) {
      const req: BatchRequest = { id: seq++, dirFd, names, countBytes };
      seen += names.length;
      if (size <= 0 || (workers.length === 0 && seen <= inlineFiles)) return unlinkBatch(req);
      if (failed) throw failed;
      if (workers.length === 0) start();
      const w = workers[next++ % workers.length] as Worker;
      return new Promise<BatchResult>((resolve, reject) => {
        waiting.set(req.id, { resolve, reject });
        w.postMessage(req);
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
      workers.length = 0;
    },
  };
}
