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

/**
 * Whether a lock name is held, by connecting to it: a bound name accepts the connection even when its
 * holder is stopped. Any failure other than "refused" counts as held (when in doubt, refuse).
 */
export function probeLock(name: string, timeoutMs = 500): Promise<LockProbe> {
  return new Promise((resolve) => {
    let text = '';
    let connected = false;
    const sock = createConnection({ path: `\0${name}` });
    const done = (held: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      const nl = text.indexOf('\ntree ');
      resolve({
        held,
        says: (nl < 0 ? text : text.slice(0, nl)) || null,
        tree: nl < 0 ? null : text.slice(nl + '\ntree '.length) || null,
      });
    };
    const timer = setTimeout(() => done(connected), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => (connected = true));
    sock.on('data', (d: string) => (text += d));
    sock.on('end', () => done(true));
    sock.on('error', (e: NodeJS.ErrnoException) => done(connected || e.code !== 'ECONNREFUSED'));
  });
}
