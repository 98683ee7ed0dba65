// Asking an abstract lock name whether it is held, without binding it (binding to test would keep out
// a holder taking it in that instant). A build's lock answers with who holds it and which tree.
import { createConnection } from 'node:net';

export interface LockProbe {
  held: boolean;
  /** The holder's own words ("run X (pid N) is building in it"), null when it said nothing in time. */
  says: string | null;
  /** The tree a build lock's holder says it guards (its real path), null when it did not say. */
  tree: string | null;
}

/** What a build lock's holder answers: its words, then the tree on a line of its own. */
export function holderAnswer(label: string, realTree: string): string {
  return `${label}\ntree ${realTree}`;
}

/** More than a holder's words and a path need: a holder sending more is no build of ours. */
export const MAX_ANSWER_BYTES = 4096;

/**
 * Whether a lock name is held, by connecting to it: a bound name accepts the connection even when its
 * holder is stopped. Any failure other than "refused" counts as held (when in doubt, refuse). Any local
 * user can bind a name like ours: an answer past MAX_ANSWER_BYTES ends the connection and counts as
 * held with nothing said, and nothing a holder sends can throw here. `signal` ends the wait early (held,
 * with what was said so far).
 */
export function probeLock(name: string, timeoutMs = 500, signal?: AbortSignal): Promise<LockProbe> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let overlong = false;
    let connected = false;
    let settled = false;
    const sock = createConnection({ path: `\0${name}` });
    const done = (held: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      const text = overlong ? '' : Buffer.concat(chunks).toString('utf8');
      const nl = text.indexOf('\ntree ');
      resolve({
        held,
        says: (nl < 0 ? text : text.slice(0, nl)) || null,
        tree: nl < 0 ? null : text.slice(nl + '\ntree '.length) || null,
      });
    };
    const onAbort = (): void => done(connected);
    const timer = setTimeout(() => done(connected), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    sock.on('connect', () => (connected = true));
    sock.on('data', (d: Buffer) => {
      if (settled) return;
      bytes += d.length;
      if (bytes > MAX_ANSWER_BYTES) {
        overlong = true;
        done(true);
      } else chunks.push(d);
    });
    sock.on('end', () => done(true));
    sock.on('error', (e: NodeJS.ErrnoException) => done(connected || e.code !== 'ECONNREFUSED'));
  });
}
