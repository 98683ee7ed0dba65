// A debootstrap + mksquashfs style script under `isoswarm run` names its stages with the `phase`
// shell function: the run record and the report show them in order with their durations and the
// Monitor's CPU and I/O during each; `report A --compare B` puts two runs' stages side by side.
// The bootstrap stage copies a tree from the host; with ISOSWARM_SLOW=1 it runs real debootstrap.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CLI, cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';

const SLOW = process.env.ISOSWARM_SLOW === '1';

// $1 chroot, $2 image
const BUILD = `#!/bin/bash
set -eu
C="$1"; OUT="$2"
source <("${process.execPath}" "${CLI}" shell-init)
phase bootstrap
if [ "${SLOW ? '1' : ''}" = 1 ]; then
  debootstrap --variant=minbase bookworm "$C" http://deb.debian.org/debian
else
  mkdir -p "$C/usr/share" "$C/etc"
  mkdir -p "$C/usr/share/doc" && cp -a /usr/share/doc/[a-f]* "$C/usr/share/doc/"
  echo demo > "$C/etc/hostname"
fi
phase install-packages
# busy for a while, writing: the stage the Monitor must see
end=$((SECONDS + 3))
i=0
while [ $SECONDS -lt $end ]; do i=$((i+1)); [ $((i % 20000)) -eq 0 ] && head -c 262144 /dev/urandom >> "$C/payload.bin"; done
sync
phase squashfs
mksquashfs "$C" "$OUT" -noappend -comp xz -quiet
`;

interface Stage {
  name: string;
  source: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  samples: number;
  buildCpuPct: number | null;
  writeBytes: number | null;
}

describe('run: a script names its stages with `phase`', { skip: needsRoot() }, () => {
  const home = scratchHome('stages');
  const work = mkdtempSync('/tmp/isoswarm-test-stages-');
  const env = testEnv(home);
  after(() => {
    teardownHome(home);
    removeScratch(work);
  });
  writeFileSync(join(work, 'build.sh'), BUILD, { mode: 0o755 });
  const runIds: string[] = [];

  test('swarm up', () => {
    const r = cliSync(env, ['up'], undefined, 60_000);
    assert.equal(r.code, 0, r.stderr);
  });

  for (const round of [1, 2]) {
    test(`run ${round}: the stages are in the record and the report`, () => {
      const chroot = join(work, `chroot-${round}`);
      const img = join(work, `out-${round}.img`);
      const r = cliSync(
        env,
        ['run', '--chroot', chroot, '--name', 'staged', '--json', '--', join(work, 'build.sh'), chroot, img],
        undefined,
        SLOW ? 1_800_000 : 300_000,
      );
      assert.equal(r.code, 0, r.stderr.slice(-3000));
      const rec = JSON.parse(r.stdout) as {
        runId: string;
        stages?: Stage[];
        phases: { name: string; startedAt: string; endedAt: string }[];
      };
      runIds.push(rec.runId);
      const stages = rec.stages ?? [];
      assert.deepEqual(
        stages.map((s) => [s.name, s.source]),
        [
          ['bootstrap', 'phase'],
          ['install-packages', 'phase'],
          ['squashfs', 'phase'],
        ],
      );
      const build = rec.phases.find((p) => p.name === 'build')!;
      for (let i = 0; i < stages.length; i++) {
        const s = stages[i]!;
        assert.equal(Date.parse(s.endedAt) - Date.parse(s.startedAt), s.durationMs, `${s.name}: end - start`);
        assert.ok(Date.parse(s.startedAt) >= Date.parse(build.startedAt), `${s.name} starts inside the build`);
        if (i + 1 < stages.length)
          assert.equal(s.endedAt, stages[i + 1]!.startedAt, `${s.name} ends where the next starts`);
      }
      assert.equal(stages.at(-1)!.endedAt, build.endedAt, 'the last stage ends with the build');
      const busy = stages[1]!;
      assert.ok(busy.durationMs >= 1900, `install-packages took ${busy.durationMs} ms`);
      assert.ok(busy.samples >= 1, 'the Monitor sampled during the 3 s stage');
      assert.ok(busy.buildCpuPct !== null && busy.buildCpuPct > 0, `build CPU ${busy.buildCpuPct}`);
      assert.ok(busy.writeBytes !== null, 'the build tree I/O is known for the stage');

      const md = cliSync(env, ['report', rec.runId, '--format', 'md']);
      assert.equal(md.code, 0, md.stderr);
      assert.match(md.stdout, /## Build stages/);
      assert.match(md.stdout, /\| bootstrap \| \+0:0\d \|/);
      assert.match(md.stdout, /\| install-packages \| \+/);
      assert.match(md.stdout, /\| squashfs \| \+/);
      const html = cliSync(env, ['report', rec.runId, '--format', 'html', '--out', '-']);
      assert.equal(html.code, 0, html.stderr);
      assert.match(html.stdout, /<section class="card" id="stages"><h2>Build stages<\/h2>/);
      for (const n of ['bootstrap', 'install-packages', 'squashfs']) {
        assert.match(html.stdout, new RegExp(`<div class="name">${n}</div>`));
        assert.match(
          html.stdout,
          new RegExp(`<rect class="band band-\\d"[^>]*><title>${n}</title>`),
          'charts shade the stage',
        );
      }
    });
  }

  test('report --compare shows both runs’ stages side by side', () => {
    const r = cliSync(env, ['report', runIds[0]!, '--compare', runIds[1]!]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\| Stage \| A \| B \| B \/ A \|/);
    for (const n of ['bootstrap', 'install-packages', 'squashfs', '\\(whole build\\)'])
      assert.match(r.stdout, new RegExp(`\\| ${n} \\| [^|]+ \\| [^|]+ \\| [\\d.]+×`));
    const j = cliSync(env, ['report', runIds[0]!, '--compare', runIds[1]!, '--format', 'json']);
    assert.equal(j.code, 0, j.stderr);
    const cmp = JSON.parse(j.stdout) as { stages: { stage: string; ratio: number }[] };
    assert.deepEqual(
      cmp.stages.map((s) => s.stage),
      ['bootstrap', 'install-packages', 'squashfs'],
    );
    assert.ok(cmp.stages.every((s) => s.ratio > 0));
    const bad = cliSync(env, ['report', runIds[0]!, '--compare', 'no-such-run']);
    assert.notEqual(bad.code, 0);
  });

  test('phase outside `isoswarm run` only notifies; a bad stage name is refused', () => {
    const ok = cliSync(env, ['hooks', 'notification', '--phase', 'x']);
    assert.equal(ok.code, 0, ok.stderr);
    const bad = cliSync(env, ['hooks', 'notification', '--phase', 'a b']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /stage name/);
    assert.equal(readFileSync(join(work, 'build.sh'), 'utf8').includes('phase squashfs'), true);
  });
});
