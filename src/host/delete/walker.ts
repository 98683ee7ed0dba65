// The deleting walk over one "unit" (a folder directly below the tree's root, or the root itself),
// with synchronous fd-relative calls: a few microseconds each where a promise per call costs many
// times that. Its whole state is plain data (fd numbers are process-wide), so a unit paused on one
// thread can be resumed on another. Sub-folders are split off to idle threads, or when the chain of
// open folders gets deep, by renaming them up to the root: a split-off folder no longer keeps its
// parent from finishing, and no path ever grows past PATH_MAX.
import { closeSync, lstatSync, renameSync, rmdirSync, unlinkSync } from 'node:fs';
import { listNames, mountSet, openChecked } from './checks.js';
import { fdPath } from '../fs/dir-fd.js';
import type { DeleteCtx, Frame, UnitState, WalkHooks } from './walk-state.js';

export function newUnit(name: string | null, path: string, orig = path): UnitState {
  return {
    name,
    path,
    orig,
    started: false,
    stack: [],
    keep: false,
    tally: { files: 0, dirs: 0, bytes: 0 },
    skipped: [],
    errors: [],
  };
}

/** Entries unlinked between two checks for a pause. */
const FILE_CHUNK = 64;
let splitSeq = 0;
const splitToken = Math.random().toString(16).slice(2, 10);
function err(u: UnitState, path: string, op: string, e: unknown): void {
  const x = e as NodeJS.ErrnoException;
  u.errors.push({ path, op, code: x?.code ?? 'ERROR', message: x?.message ?? String(e) });
}

function skip(u: UnitState, path: string, orig: string, reason: string): void {
  u.skipped.push({ path, reason: path === orig ? reason : `${reason} (was ${orig})` });
}

function unlinkEntry(ctx: DeleteCtx, u: UnitState, f: Frame, name: string): void {
  const p = fdPath(f.fd, name);
  try {
    const size = ctx.countBytes ? lstatSync(p).size : 0;
    unlinkSync(p);
    u.tally.files++;
    u.tally.bytes += size;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EISDIR')
      f.dirs?.push(name); // became a folder since readdir
    else if (code !== 'ENOENT') {
      err(u, `${f.path}/${name}`, 'unlink', e);
      f.keep = true;
    }
  }
}

function start(ctx: DeleteCtx, u: UnitState): void {
  u.started = true;
  const entry = u.name ?? '.';
  try {
    const fd = openChecked(ctx, ctx.rootFd, entry);
    if (typeof fd === 'number')
      u.stack.push({ fd, name: entry, path: u.path, orig: u.orig, dirs: null, files: [], keep: false });
    else if (fd === null) {
      const top: Frame = {
        fd: ctx.rootFd,
        name: '',
        path: ctx.rootPath,
        orig: ctx.rootPath,
        dirs: [],
        files: [],
        keep: false,
      };
      unlinkEntry(ctx, u, top, entry);
      u.keep ||= top.keep;
    } else {
      skip(u, u.path, u.orig, fd);
      u.keep = true;
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      err(u, u.path, 'open', e);
      u.keep = true;
    }
  }
}

function finishFrame(ctx: DeleteCtx, u: UnitState, hooks: WalkHooks): void {
  const f = u.stack.pop() as Frame;
  if (f.foreign) hooks.release(f.fd);
  else closeSync(f.fd);
  const parent = u.stack[u.stack.length - 1];
  const isTreeRoot = u.name === null && !parent; // emptied here; the caller removes it last
  let kept = f.keep;
  if (!kept && !isTreeRoot) {
    try {
      rmdirSync(fdPath(parent ? parent.fd : ctx.rootFd, f.name));
      u.tally.dirs++;
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOTEMPTY' && !f.rescanned) {
        // Reopened for one more pass: the fd is still that folder's.
        const again = openChecked(ctx, parent ? parent.fd : ctx.rootFd, f.name);
        if (typeof again === 'number') {
          u.stack.push({ ...f, fd: again, foreign: false, dirs: null, files: [], rescanned: true });
          return;
        }
      }
      err(u, f.path, 'rmdir', e);
      kept = true;
    }
  }
  if (kept) {
    if (parent) parent.keep = true;
    else u.keep = true;
  }
}

/** Moves folder `name` of `f` up to the root as a new unit; false when it cannot (a mount point: EBUSY). */
function splitOff(ctx: DeleteCtx, f: Frame, name: string, hooks: WalkHooks): boolean {
  const to = `.isoswarm-split-${splitToken}-${splitSeq++}`;
  try {
    renameSync(fdPath(f.fd, name), fdPath(ctx.rootFd, to));
  } catch {
    return false;
  }
  hooks.split(newUnit(to, `${ctx.rootPath}/${to}`, `${f.orig}/${name}`));
  return true;
}

/**
 * Gives an idle thread work the way work-stealing deques do: the folder waiting nearest to the
 * unit's top (likely the biggest subtree), so a few splits spread a big tree.
 */
function steal(ctx: DeleteCtx, u: UnitState, hooks: WalkHooks): void {
  for (const f of u.stack) {
    if (!f.dirs || f.dirs.length === 0) continue;
    const name = f.dirs.shift() as string;
    if (!splitOff(ctx, f, name, hooks)) f.dirs.push(name); // entered here instead, where the checks decide
    return;
  }
}

/** Runs the unit until it is done (true) or hooks.yieldNow() asks for a pause (false). */
export function walkUnit(ctx: DeleteCtx, u: UnitState, hooks: WalkHooks): boolean {
  if (!u.started) start(ctx, u);
  while (u.stack.length > 0) {
    if (hooks.yieldNow()) return false;
    const f = u.stack[u.stack.length - 1] as Frame;
    if (f.dirs === null) {
      f.dirs = [];
      try {
        for (const e of listNames(f)) (e.isDirectory() ? f.dirs : f.files).push(e.name);
      } catch (e) {
        err(u, f.path, 'readdir', e);
        f.keep = true;
      }
      continue;
    }
    if (f.files.length > 0) {
      for (let i = 0; i < FILE_CHUNK && f.files.length > 0; i++) unlinkEntry(ctx, u, f, f.files.pop() as string);
      continue;
    }
    const name = f.dirs.pop();
    if (name === undefined) {
      finishFrame(ctx, u, hooks);
      continue;
    }
    const path = `${f.path}/${name}`;
    const orig = `${f.orig}/${name}`;
    const mounts = mountSet(ctx);
    if (mounts.has(path) || mounts.has(orig)) {
      skip(u, path, orig, 'mount point (mountinfo)');
      f.keep = true;
      continue;
    }
    if (u.stack.length >= ctx.relocateDepth && splitOff(ctx, f, name, hooks)) continue;
    if (hooks.idle()) steal(ctx, u, hooks);
    try {
      const fd = openChecked(ctx, f.fd, name);
      if (typeof fd === 'number') u.stack.push({ fd, name, path, orig, dirs: null, files: [], keep: false });
      else if (fd === null) unlinkEntry(ctx, u, f, name);
      else {
        skip(u, path, orig, fd);
        f.keep = true;
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        err(u, path, 'open', e);
        f.keep = true;
      }
    }
  }
  return true;
}
