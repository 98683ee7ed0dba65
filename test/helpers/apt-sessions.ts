// Apt cache sessions for tests: a scratch dir per file (every mount under it is taken away and the
// dir removed after), a cache with one package, the tuner's own session code on a state dir of its own.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { AptSessions } from '../../agents/performance-tuner/apt-sessions.js';
import type { AptSession } from '../../agents/performance-tuner/caches.js';
import { createLogger } from '../../src/log/logger.js';
import { makeDeb } from './debs.js';

export function aptScratch(name: string): string {
  const scratch = mkdtempSync(`/tmp/isoswarm-test-${name}-`);
  after(() => {
    for (const m of readFileSync('/proc/self/mountinfo', 'utf8').split('\n').reverse())
      if (m.includes(scratch)) spawnSync('umount', [m.split(' ')[4]!]);
    if (readFileSync('/proc/self/mountinfo', 'utf8').includes(scratch))
      throw new Error(`a mount under ${scratch} was left`);
    rmSync(scratch, { recursive: true, force: true });
  });
  return scratch;
}

export const quietLog = () => createLogger({ name: 'test', destination: '/dev/null' });

export async function aptSetup(
  scratch: string,
  name: string,
): Promise<{ apt: AptSessions; cache: string; debs: string; dir: string }> {
  const dir = join(scratch, name);
  const cache = join(dir, 'cache');
  const debs = join(dir, 'debs');
  for (const d of [dir, join(dir, 'state'), cache, debs]) mkdirSync(d);
  writeFileSync(join(cache, 'old_1.0_amd64.deb'), readFileSync(makeDeb(debs, 'old', '1.0', 10_000)));
  const apt = new AptSessions(join(dir, 'state'), quietLog(), 1 << 30);
  await apt.swept;
  return { apt, cache, debs, dir };
}

export async function aptAttach(apt: AptSessions, cache: string, chroot: string): Promise<AptSession> {
  mkdirSync(chroot, { recursive: true });
  const s = await apt.attach(cache, chroot, 1 << 30, join(apt.overlayRoot, chroot.split('/').pop()!));
  assert.ok(typeof s === 'object', `attached: ${String(s)}`);
  return s;
}

export const archives = (chroot: string): string => join(chroot, 'var/cache/apt/archives');
