// Removes a batch of non-directory entries of one open directory with synchronous calls: a few
// microseconds each, where a promise per call through libuv's pool costs several times that. Run
// in worker threads (unlink-pool) it also keeps several disk operations in flight at once.
import { lstatSync, unlinkSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

export interface BatchRequest {
  id: number;
  dirFd: number;
  names: string[];
  /** lstat each entry for its size first (about doubles the system time on a fast file system). */
  countBytes: boolean;
}

export interface BatchResult {
  id: number;
  files: number;
  bytes: number;
  /** Entries that turned out to be directories (left for the walker to enter). */
  dirs: string[];
  errors: { name: string; code: string; message: string }[];
}

/** Never follows a symlink (lstat, unlink); the fd pins the directory and its mount. */
export function unlinkBatch(req: BatchRequest): BatchResult {
  const out: BatchResult = { id: req.id, files: 0, bytes: 0, dirs: [], errors: [] };
  const base = `/proc/self/fd/${req.dirFd}/`;
  for (const name of req.names) {
    const p = base + name;
    try {
      const size = req.countBytes ? lstatSync(p).size : 0;
      unlinkSync(p);
      out.files++;
      out.bytes += size;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      // unlink(2) refuses a directory with EISDIR: one replaced a file since readdir; walk it.
      if (err.code === 'EISDIR') out.dirs.push(name);
      else if (err.code !== 'ENOENT') out.errors.push({ name, code: err.code ?? 'ERROR', message: err.message });
    }
  }
  return out;
}

// Only a thread started by unlink-pool answers requests (a module import elsewhere does nothing).
if ((workerData as { isoswarmUnlinkWorker?: boolean } | null)?.isoswarmUnlinkWorker && parentPort) {
  const port = parentPort;
  port.on('message', (req: BatchRequest) => port.postMessage(unlinkBatch(req)));
}
