// Which directories may be taken apart: resolve the target once, then judge where it really points.
// Every comparison is by path component; only canonical absolute paths can ever be approved.
import { readFile, realpath, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { isAtOrUnder, pathComponents } from '../fs/paths.js';

export interface PathPolicy {
  /** A target must lie strictly below one of these (the prefix itself is refused). */
  safePrefixes: string[];
  /** These, and every ancestor of them, are refused. */
  deny: string[];
}

export type RefusalCode =
  'empty' | 'not-absolute' | 'root' | 'top-level' | 'denied' | 'home' | 'outside-safe-prefixes' | 'not-found';

export type Refusal = { ok: false; code: RefusalCode; reason: string; path?: string };
export type Verdict = { ok: true; path: string } | Refusal;

/** A target canonicalized once; `fileId` ("dev:ino") lets a later step notice a swapped directory. */
export type Resolved = { ok: true; input: string; path: string; fileId: string } | Refusal;

export function defaultDeny(): string[] {
  return [
    '/',
    '/bin',
    '/boot',
    '/dev',
    '/etc',
    '/home',
    '/lib',
    '/lib32',
    '/lib64',
    '/libx32',
    '/media',
    '/mnt',
    '/opt',
    '/proc',
    '/root',
    '/run',
    '/sbin',
    '/srv',
    '/sys',
    '/tmp',
    '/usr',
    '/var',
    '/var/tmp',
    '/var/lib',
    '/var/cache',
    '/dev/shm',
    '/run/user',
  ];
}

/** True only for the exact text realpath(3) produces: absolute, no `//`, no trailing `/`, no `.`/`..`. */
function isCanonical(p: string): boolean {
  const c = pathComponents(p);
  return c !== null && p === '/' + c.join('/');
}

/** Lexically tidies a configured entry (deny list, home); entries stay conservative, never widened. */
function tidy(entry: string): string | null {
  if (typeof entry !== 'string' || !entry.startsWith('/') || entry.includes('\0')) return null;
  return posix.normalize(entry);
}

/** The path is the entry or one of its ancestors (so deleting it would take the entry too). */
function containsEntry(path: string, entries: readonly string[]): string | undefined {
  for (const raw of entries) {
    const e = tidy(raw);
    if (e !== null && isAtOrUnder(e, path)) return raw;
  }
  return undefined;
}

/** Pure verdict over a path that the caller already canonicalized (resolveTarget). */
export function checkPolicy(realPath: string, policy: PathPolicy, homes: readonly string[] = []): Verdict {
  const refuse = (code: RefusalCode, reason: string): Verdict => ({ ok: false, code, reason, path: realPath });
  if (typeof realPath !== 'string' || realPath.trim() === '') {
    return { ok: false, code: 'empty', reason: 'the target is empty' };
  }
  if (!realPath.startsWith('/')) return refuse('not-absolute', 'the target is not an absolute path');
  if (!isCanonical(realPath)) return refuse('not-absolute', 'the target is not canonical (resolve it first)');
  const depth = pathComponents(realPath)?.length ?? 0;
  if (depth === 0) return refuse('root', 'the target is the root directory');
  if (depth === 1) return refuse('top-level', `${realPath} is a top-level host directory`);
  const denied = containsEntry(realPath, policy.deny);
  if (denied !== undefined) return refuse('denied', `${realPath} is or contains the protected ${denied}`);
  const home = containsEntry(realPath, homes);
  if (home !== undefined) return refuse('home', `${realPath} is or contains the home directory ${home}`);
  const inside = policy.safePrefixes.some((p) => {
    // A prefix of `/` or a non-canonical one would approve too much: it never matches.
    if (!isCanonical(p) || p === '/') return false;
    return isAtOrUnder(realPath, p) && depth > (pathComponents(p)?.length ?? Infinity);
  });
  if (!inside) {
    return refuse(
      'outside-safe-prefixes',
      `${realPath} is not strictly below a safe prefix (${policy.safePrefixes.join(', ')})`,
    );
  }
  return { ok: true, path: realPath };
}

/** Canonicalizes the input once (realpath) and requires an existing directory. Decides nothing else. */
export async function resolveTarget(input: string): Promise<Resolved> {
  if (typeof input !== 'string' || input.trim() === '') {
    return { ok: false, code: 'empty', reason: 'the target is empty (an unset variable?)' };
  }
  const no = (code: RefusalCode, reason: string): Resolved => ({ ok: false, code, reason, path: input });
  if (input !== input.trim()) return no('not-absolute', 'leading or trailing white space makes the target ambiguous');
  if (input.includes('\0')) return no('not-absolute', 'the target contains a NUL byte');
  if (!input.startsWith('/')) return no('not-absolute', 'the target must be an absolute path');
  let real: string;
  try {
    real = await realpath(input);
  } catch (e) {
    return no('not-found', `cannot resolve ${input}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    const st = await stat(real, { bigint: true });
    if (!st.isDirectory()) return { ok: false, code: 'not-found', reason: `${real} is not a directory`, path: real };
    return { ok: true, input, path: real, fileId: `${st.dev}:${st.ino}` };
  } catch (e) {
    return { ok: false, code: 'not-found', reason: `cannot stat ${real}: ${String(e)}`, path: real };
  }
}

/** Resolve, then judge: the one call sites should use. */
export async function resolveAndCheck(input: string, policy: PathPolicy, homes: readonly string[]): Promise<Resolved> {
  const r = await resolveTarget(input);
  if (!r.ok) return r;
  const v = checkPolicy(r.path, policy, homes);
  return v.ok ? r : v;
}

/** Adds the realpath of each entry (a deny entry or home may itself be a symlink, e.g. /bin -> usr/bin). */
export async function withRealpaths(entries: readonly string[]): Promise<string[]> {
  const out = new Set(entries);
  for (const e of entries) {
    try {
      out.add(await realpath(e));
    } catch {
      /* missing entries protect nothing on disk; the literal stays in the list */
    }
  }
  return [...out];
}

/**
 * Policy with deny entries widened by their real paths and safe prefixes replaced by theirs
 * (targets are canonical, so a prefix must be too; a prefix resolving to `/` then never matches).
 */
export async function canonicalPolicy(policy: PathPolicy): Promise<PathPolicy> {
  const safePrefixes: string[] = [];
  for (const p of policy.safePrefixes) {
    try {
      safePrefixes.push(await realpath(p));
    } catch {
      safePrefixes.push(p);
    }
  }
  return { safePrefixes, deny: await withRealpaths(policy.deny) };
}

/** Home directories of every user in /etc/passwd, with their real paths. */
export async function readHomeDirs(passwd = '/etc/passwd'): Promise<string[]> {
  let text = '';
  try {
    text = await readFile(passwd, 'utf8');
  } catch {
    return [];
  }
  const homes = text
    .split('\n')
    .map((l) => l.split(':')[5])
    .filter((h): h is string => typeof h === 'string' && h.startsWith('/'));
  return withRealpaths([...new Set(homes)]);
}

/**
 * Last line of defence for functions that act on a target (unmount, signal, detach): whatever the
 * caller checked, never `/`, a top-level folder, or a non-canonical path.
 */
export function assertTeardownTarget(realPath: string): void {
  const depth = pathComponents(realPath)?.length ?? 0;
  if (!isCanonical(realPath) || depth < 2)
    throw new Error(`refusing to act on ${JSON.stringify(realPath)}: not a canonical path below a top-level folder`);
}
