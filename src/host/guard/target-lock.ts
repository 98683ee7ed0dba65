// A real per-target lock: an abstract unix socket bound to a name derived from the real target
// path. Binding is atomic (no check-then-create), the kernel frees the name when the holder dies,
// even by SIGKILL, and nothing is left on disk. Abstract names are per network namespace: every
// isoswarm process on a host shares the host's.
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { holderAnswer, probeLock } from './lock-probe.js';
import { foreignHolder } from './foreign-holder.js';

/** How an ordinary cleanup's or teardown's lock answers (after who holds it). */
const TAKEN = 'holds the target lock';

export interface TargetLock {
  readonly target: string;
  /** The abstract socket name without its leading NUL. */
  readonly name: string;
  release(): Promise<void>;
}

export function lockName(realTarget: string): string {
  return `isoswarm-lock-${createHash('sha256').update(realTarget).digest('hex')}`;
}

/**
 * Takes the lock, or returns null when another process (or this one) holds it. Its holder says which
 * target it holds, so that a run starting on a chroot can find a cleanup or teardown inside it.
 */
export function acquireTargetLock(realTarget: string): Promise<TargetLock | null> {
  return acquireNamedLock(
    lockName(realTarget),
    holderAnswer(`isoswarm (pid ${process.pid}) ${TAKEN}`, realTarget),
    realTarget,
  );
}

/**
 * Takes an abstract lock name, or returns null when it is held. A holder that names itself (a build:
 * "run X (pid N) is building in it") tells whoever connects, so a refusal can say who.
 */
export async function acquireNamedLock(name: string, holder?: string, target = name): Promise<TargetLock | null> {
  // Connections of askers: a release ends them, so that no asker that keeps its end open (any local
  // user can connect) can hold up a release, and whatever waits on it.
  const askers = new Set<Socket>();
  const server: Server = createServer((sock) => {
    askers.add(sock);
    sock.on('close', () => askers.delete(sock));
    sock.on('error', () => undefined);
    sock.end(holder ?? '');
  });
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
    target,
    name,
    release: () =>
      new Promise<void>((resolve) => {
        if (released) return resolve();
        released = true;
        // The name is free once close() returns; the callback waits for the connections to end.
        server.close(() => undefined);
        for (const sock of askers) sock.destroy();
        resolve();
      }),
  };
}

/**
 * Why the target lock of `realTarget` could not be taken, in its holder's words when they say more. A
 * look-alike's words are not repeated (foreign-holder.ts): it is named for what it is.
 */
export async function lockedReason(realTarget: string): Promise<string> {
  const name = lockName(realTarget);
  const p = await probeLock(name);
  if (p.held && foreignHolder(name))
    return `the lock name of ${realTarget} (${name}) is held by a process of another user that is not isoswarm, so it cannot be locked now`;
  return p.says && !p.says.endsWith(TAKEN)
    ? `${realTarget} is in use: ${p.says}`
    : `another cleanup or teardown of ${realTarget} is running`;
}
