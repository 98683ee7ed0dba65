// What "the host is unharmed" means in the unmounter's tests, captured before and compared after.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { type MountEntry, parseMountinfo } from '../../src/host/mounts/mountinfo.js';
import { isAtOrUnder, pathComponents } from '../../src/host/fs/paths.js';

export interface HostSnapshot {
  /** Mounts outside every test scratch dir (other tests' /tmp/isoswarm-test-* come and go). */
  hostMounts: string[];
  devNullRdev: number;
  devEntries: string[];
}

export function mountKey(m: MountEntry): string {
  return JSON.stringify([
    m.id,
    m.parentId,
    `${m.major}:${m.minor}`,
    m.root,
    m.mountPoint,
    m.fsType,
    m.source,
    m.optionalFields,
  ]);
}

function inAnyTestScratch(p: string): boolean {
  const c = pathComponents(p);
  return c !== null && c[0] === 'tmp' && (c[1] ?? '').startsWith('isoswarm-test-');
}

export function readMountsSync(): MountEntry[] {
  return parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
}

export function hostSnapshot(): HostSnapshot {
  return {
    hostMounts: readMountsSync()
      .filter((m) => !inAnyTestScratch(m.mountPoint))
      .map(mountKey)
      .sort(),
    devNullRdev: statSync('/dev/null').rdev,
    // Loop nodes appear on demand (losetup -f) and are not the host's own.
    devEntries: readdirSync('/dev')
      .filter((n) => !/^loop[0-9]+$/.test(n))
      .sort(),
  };
}

/** Mounts under `scratch` but outside `target`: the "host side" a test builds for itself. */
export function mountsOutside(scratch: string, target: string): string[] {
  return readMountsSync()
    .filter((m) => isAtOrUnder(m.mountPoint, scratch) && !isAtOrUnder(m.mountPoint, target))
    .map(mountKey)
    .sort();
}

export function assertHostUnchanged(before: HostSnapshot): void {
  const now = hostSnapshot();
  const st = statSync('/dev/null');
  assert.ok(st.isCharacterDevice(), 'host /dev/null is still a character device');
  assert.equal(st.rdev, (1 << 8) | 3, 'host /dev/null is still 1:3');
  assert.equal(now.devNullRdev, before.devNullRdev);
  assert.deepEqual(now.devEntries, before.devEntries, 'host /dev entries unchanged');
  assert.deepEqual(now.hostMounts, before.hostMounts, 'host mount table outside the test dirs unchanged');
}
