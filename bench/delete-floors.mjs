// Floors for bench/delete-tree.mjs: deletes by two find processes with less and less of the
// deleter's safety, to show what its checks cost against what the processes themselves cost.
import { spawn } from 'node:child_process';
import { readdirSync, readlinkSync, realpathSync, rmdirSync } from 'node:fs';

export const FIND0 = ['find', '-files0-from', '-', '-xdev', '-delete'];
// The deleter's own exec chain (find-child.ts), without its checks and counts.
export const FIND_NS = [
  'setpriv',
  '--pdeathsig',
  'KILL',
  '--',
  'unshare',
  '--mount',
  '--propagation',
  'private',
  '--',
  ...FIND0,
];

// What the deleter adds to the namespace before any of its checks: exact counts (find stats each
// entry and prints what it removed), and names only once the process is find itself (the
// namespace can be checked then), polled as find-child.ts does.
export const FIND_COUNTED = [...FIND_NS.slice(0, -1), '-links', '+0', '-delete', '-printf', '%y %s\n'];

/** A find through `chain` in `dir`, given `names` at once, or once it is find (`handshake`); its exit code. */
function bareFind(dir, names, chain = FIND0, handshake = false) {
  return new Promise((resolve, reject) => {
    const c = spawn(chain[0], chain.slice(1), {
      cwd: dir,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    c.stdout.resume();
    c.on('error', reject);
    c.on('close', resolve);
    const go = () => c.stdin.end(Buffer.concat(names.map((n) => Buffer.from(`${n}\0`))));
    if (!handshake) return go();
    const poll = setInterval(() => {
      try {
        if (readlinkSync(`/proc/${c.pid}/exe`) !== findReal) return;
      } catch {
        return;
      }
      clearInterval(poll);
      go();
    }, 1);
  });
}
const findReal = realpathSync('/usr/bin/find');

export /** Two finds through `chain` on the two halves of `p`'s top level, then `p` itself; ms taken. */
async function twoFinds(p, chain, handshake = false) {
  const t0 = performance.now();
  const names = readdirSync(p);
  const codes = await Promise.all(
    [0, 1].map((k) =>
      bareFind(
        p,
        names.filter((_, i) => i % 2 === k),
        chain,
        handshake,
      ),
    ),
  );
  if (codes.some((c) => c !== 0)) throw new Error(`bare find exited ${codes.join(', ')}`);
  rmdirSync(p);
  return performance.now() - t0;
}
