// An attached apt cache, written beside its overlay's run-private dirs at attach and read back by a
// tuner started again while the overlay is still mounted (a crash, a restart by its supervisor):
// it takes such an overlay back, its hold on the cache included, so that a cleanup cannot change the
// lower layer of a running build and the build's detach still unmounts, harvests and counts.
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { aptSessionFileSchema, type AptSessionFile } from '../../src/schemas/agents/apt-session.js';
import { writeFileDurable } from '../../src/host/fs/durable-write.js';
import { isAtOrUnder } from '../../src/host/fs/paths.js';
import { realOr } from '../../src/host/fs/real-path.js';
import { readMountinfo } from '../../src/host/mounts/mountinfo.js';
import { captureUpper, overlayDirs, OVERLAY_SOURCE } from '../../src/host/cache/overlay.js';
import { overlayOptions } from '../../src/host/mounts/overlay-options.js';
import type { AptSession } from './caches.js';
import type { AptHolds } from './apt-cache-hold.js';
import type { AgentContext } from '../../src/runtime/agent-process.js';

const FILE = 'session.json';

const REL = '/var/cache/apt/archives';
const isDeb = (n: string): boolean => n.endsWith('.deb');

export function saveSessionFile(s: AptSession): void {
  const f: AptSessionFile = {
    version: 1,
    cacheDir: s.dir,
    chroot: s.chroot,
    limitBytes: Number.isFinite(s.limitBytes) ? s.limitBytes : Number.MAX_SAFE_INTEGER,
    snapshot: s.snapshot,
    installedBefore: s.installedBefore ? [...s.installedBefore] : null,
    counted: s.counted,
    runId: s.runId,
  };
  writeFileDurable(join(s.dirs.privateDir, FILE), `${JSON.stringify(f)}\n`);
}

/** The file as written, or why it cannot be used. */
export function readSessionFile(privateDir: string): AptSessionFile | string {
  let text: string;
  try {
    text = readFileSync(join(privateDir, FILE), 'utf8');
  } catch (e) {
    return `no ${FILE}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
  }
  try {
    const p = aptSessionFileSchema.safeParse(JSON.parse(text));
    return p.success ? p.data : `${FILE} is not a session: ${p.error.issues[0]?.message ?? 'invalid'}`;
  } catch {
    return `${FILE} is not JSON (truncated?)`;
  }
}

export interface Adopted {
  session: AptSession;
  /** Set when the session file could not be used: hits are then not counted for this build. */
  fileProblem?: string;
}

/**
 * The apt cache overlays this tuner's state made that are still mounted, as sessions again. Only an
 * overlay whose upper layer lies in `overlayRoot` (our run-private dirs) is taken; its watch on the
 * upper layer starts again (the detach's sweep still finds what came meanwhile).
 */
export async function adoptMountedSessions(overlayRoot: string, fallbackLimit: number): Promise<Adopted[]> {
  const out: Adopted[] = [];
  const uppers = new Set<string>();
  for (const m of await readMountinfo()) {
    if (m.fsType !== 'overlay' || m.source !== OVERLAY_SOURCE || !m.mountPoint.endsWith(REL)) continue;
    const o = overlayOptions(m.superOptions);
    const upper = o.get('upperdir');
    const lower = o.get('lowerdir');
    if (!upper || !lower || basename(upper) !== 'upper') continue;
    // One overlay seen at two places (a propagated copy) is one session, the first found.
    if (uppers.has(upper)) continue;
    const privateDir = dirname(upper);
    if (realOr(dirname(privateDir)) !== overlayRoot || !isAtOrUnder(realOr(privateDir), overlayRoot)) continue;
    const chroot = m.mountPoint.slice(0, -REL.length) || '/';
    const f = readSessionFile(privateDir);
    const ok = typeof f !== 'string' && f.cacheDir === lower && f.chroot === chroot ? f : null;
    uppers.add(upper);
    const dirs = overlayDirs(lower, privateDir);
    const session: AptSession = {
      dir: lower,
      limitBytes: ok?.limitBytes ?? fallbackLimit,
      chroot,
      dirs,
      handle: { source: lower, target: m.mountPoint, mountId: m.id, dirs, upper },
      capture: captureUpper(dirs, isDeb),
      snapshot: ok ? { at: ok.snapshot.at, files: ok.snapshot.files } : { at: Date.now(), files: {} },
      installedBefore: ok?.installedBefore ? new Set(ok.installedBefore) : null,
      countable: ok !== null,
      counted: ok?.counted ?? null,
      runId: ok?.runId ?? null,
    };
    out.push({
      session,
      ...(ok ? {} : { fileProblem: typeof f === 'string' ? f : `${FILE} names another cache or chroot` }),
    });
  }
  return out;
}

/** The overlays still mounted, taken back with their holds (a cleanup holding the cache is logged). */
export async function takeBack(
  overlayRoot: string,
  fallbackLimit: number,
  holds: AptHolds,
  log: AgentContext['log'],
): Promise<AptSession[]> {
  const out: AptSession[] = [];
  for (const { session: s, fileProblem } of await adoptMountedSessions(overlayRoot, fallbackLimit)) {
    if (!(await holds.take(s.dir, s)))
      log.warn({ cache: s.dir }, 'the apt cache is locked by a cleanup while a build has it mounted');
    out.push(s);
    log.info(
      { chroot: s.chroot, cache: s.dir, ...(fileProblem ? { countsLost: fileProblem } : {}) },
      'took back an apt cache overlay mounted before this start',
    );
  }
  return out;
}
