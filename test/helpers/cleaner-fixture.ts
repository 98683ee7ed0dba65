// Scratch trees for the Cleaner's tests: quick to build (sync calls), deep and long-named ones
// built fd-relatively (no chdir in a shared process), and a removal that refuses while anything
// is mounted below (tests must never rm across a mount either).
import {
  closeSync,
  constants,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { run, runOk } from '../../src/host/exec.js';
import { mountsUnder } from '../../src/host/mounts/mountinfo.js';
import { readMountsSync } from './host-snapshot.js';

export function makeScratch(name: string): string {
  return realpathSync(mkdtempSync(`/tmp/isoswarm-test-cleaner-${name}-`));
}

export async function removeScratch(dir: string): Promise<void> {
  if (!dir.startsWith('/tmp/isoswarm-test-')) throw new Error(`not a test scratch dir: ${dir}`);
  const left = mountsUnder(readMountsSync(), dir);
  if (left.length > 0)
    throw new Error(`mounts left under ${dir}, not removing: ${left.map((m) => m.mountPoint).join(', ')}`);
  // GNU rm copes with trees deeper than PATH_MAX (the deep-tree tests may fail half-way).
  await runOk('rm', ['-rf', '--one-file-system', '--', dir]);
}

/** `dirs` folders of `files` files of `size` bytes each, two levels deep; returns the file count. */
export function makeTree(root: string, dirs: number, files: number, size = 10): number {
  mkdirSync(root, { recursive: true });
  const buf = Buffer.alloc(size, 'x');
  for (let d = 0; d < dirs; d++) {
    const dir = `${root}/g${d % 7}/d${d}`;
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < files; f++) writeFileSync(`${dir}/f${f}`, buf);
  }
  return dirs * files;
}

/** A chain of `depth` folders named `name` (fd-relative, so far beyond PATH_MAX); a file at the bottom. */
export function makeDeepChain(root: string, depth: number, name: string): void {
  mkdirSync(root, { recursive: true });
  let fd = openSync(root, constants.O_RDONLY | constants.O_DIRECTORY);
  for (let i = 0; i < depth; i++) {
    mkdirSync(`/proc/self/fd/${fd}/${name}`);
    const next = openSync(`/proc/self/fd/${fd}/${name}`, constants.O_RDONLY | constants.O_DIRECTORY);
    if (i % 100 === 0) writeFileSync(`/proc/self/fd/${fd}/file-${i}`, 'x');
    closeSync(fd);
    fd = next;
  }
  writeFileSync(`/proc/self/fd/${fd}/bottom`, 'bottom');
  closeSync(fd);
}

export function writeCanaries(dir: string, n = 3): Map<string, string> {
  mkdirSync(dir, { recursive: true });
  const m = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    const p = `${dir}/canary-${i}`;
    writeFileSync(p, `canary ${p}\n`);
    m.set(p, `canary ${p}\n`);
  }
  return m;
}

export function brokenCanaries(canaries: Map<string, string>): string[] {
  const bad: string[] = [];
  for (const [p, c] of canaries) {
    try {
      if (readFileSync(p, 'utf8') !== c) bad.push(p);
    } catch {
      bad.push(p);
    }
  }
  return bad;
}

export function link(target: string, at: string): void {
  symlinkSync(target, at);
}

/** Entries below `dir` (itself included) counted by find(1), never crossing mounts or following links. */
export async function countEntries(dir: string): Promise<number> {
  const r = await run('find', [dir, '-xdev']);
  return r.stdout.split('\n').filter((l) => l !== '').length;
}
