// `isoswarm demo` — the main job — passes and leaves no mount and no process behind.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { cliSync, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';

const home = scratchHome('demo');
after(() => teardownHome(home));

function pids(pattern: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

test('isoswarm demo passes, and the host is as before', { skip: needsRoot() }, () => {
  const mountsBefore = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => !l.includes('isoswarm-test-')).length;
  const r = cliSync(testEnv(home), ['demo', '--json'], undefined, 180_000);
  assert.equal(r.code, 0, r.stderr.slice(-3000));
  const s = JSON.parse(r.stdout) as {
    ok: boolean;
    work: string;
    exitCode: number;
    report: string;
    teardown: { status: string; signalled: number; unmounted: number };
    clean: { status: string; bytes: number } | null;
    squashfs: { sizeBytes: number } | null;
    host: { mountsUnchanged: boolean; propagated: string[]; devNullIntact: boolean; leftUnderWork: string[] };
  };
  assert.equal(s.ok, true);
  assert.equal(s.exitCode, 137, 'the demo build crashes on purpose');
  assert.equal(s.teardown.status, 'done');
  assert.ok(s.teardown.signalled >= 1 && s.teardown.unmounted >= 5, JSON.stringify(s.teardown));
  assert.equal(s.clean?.status, 'done');
  assert.ok((s.squashfs?.sizeBytes ?? 0) > 1e6, 'a real squashfs image was built');
  assert.deepEqual(s.host, { mountsUnchanged: true, propagated: [], devNullIntact: true, leftUnderWork: [] });
  assert.equal(existsSync(s.work), false, 'the demo scratch dir is gone');
  assert.ok(existsSync(s.report));
  const mountsAfter = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => !l.includes('isoswarm-test-')).length;
  assert.equal(mountsAfter, mountsBefore);
  assert.deepEqual(pids('isoswarm-demo-daemon'), [], 'the daemon from inside the chroot survived');
  assert.deepEqual(pids(`${home}/`), [], 'a swarm process of the demo survived');
});
