// A real per-target lock: an abstract unix socket bound to a name derived from the real target
// path. Binding is atomic (no check-then-create), the kernel frees the name when the holder dies,
// even by SIGKILL, and nothing is left on disk. Abstract names are per network namespace: every
// isoswarm process on a host shares the host's.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:net';

export interface TargetLock {
  readonly target: string;
  /** The abstract socket name without its leading NUL. */
  readonly name: string;
  release(): Promise<void>;
}

export function lockName(realTarget: string): string {
  return `isoswarm-lock-${createHash('sha256').update(realTarget).digest('hex')}`;
}

/** Takes the lock, or returns null when another process (or this one) holds it. */
export async function acquireTargetLock(realTarget: string): Promise<TargetLock | null> {
  const name = lockName(realTarget);
  const server: Server = createServer((sock) => sock.destroy());
  const bound = await new Promise<boolean>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      if (e.code === 'EADDRINUSE') resolve(false);
      else reject(e);
    };
    server.once('error', onError);
    server.listen({ path: `\0${name}`, exclusive: true }, () => {
      server.off('error', onError);
      resolve(true);
    });
  });
  if (!bound) return null;
  // Holding a lock must not keep a finished process alive; exit releases it anyway.
  server.unref();
  server.on('error', () => undefined);
  let released = false;
  return {
    target: realTarget,
    name,
    release: () =>
      new Promise<void>((resolve) => {
        if (released) return resolve();
        released = true;
        server.close(() => resolve());
      }),
  };
}
