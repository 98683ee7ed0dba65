// Root only: a real 8 MiB tmpfs filled past the thresholds (disk probe + thresholds: one alert per
// level, none while hovering, recovery after freeing), and a temp tree with mounts inside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, rmdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, runOk } from '../../src/host/exec.js';
import { TempTracker } from '../../src/host/walk/temp-tracker.js';
import { Sampler } from '../../agents/monitor/sampler.js';
import { DEFAULT_THRESHOLDS, Thresholds, readingsOf, type ThresholdEvent } from '../../agents/monitor/thresholds.js';
import { needsRoot } from '../helpers/root.js';

async function umountAll(paths: string[]): Promise<void> {
  const failures: string[] = [];
  for (const p of paths) {
    const r = await run('umount', [p]);
    if (r.exitCode !== 0) failures.push(`${p}: ${r.stderr.trim()}`);
  }
  if (failures.length) throw new Error(`left mounted: ${failures.join('; ')}`);
}

test(
  'tmpfs filled past 85 % and 95 %: one alert per level, no storm while hovering, recoveries after freeing',
  { skip: needsRoot() },
  async () => {
    const dir = mkdtempSync('/tmp/isoswarm-test-fill-');
    const mounted: string[] = [];
    const SIZE = 8 << 20;
    try {
      await runOk('mount', ['-t', 'tmpfs', '-o', `size=${SIZE},mode=0700`, 'isoswarm-test', dir]);
      mounted.push(dir);
      const sampler = new Sampler({ diskPaths: [dir], tempDir: dir, temp: { checkIntervalMs: 0 } });
      const thresholds = new Thresholds(DEFAULT_THRESHOLDS);
      const events: ThresholdEvent[] = [];
      let n = 0;
      /** Replaces the fill file (a new file, so the temp tracker's directory check sees it). */
      const fillTo = (fraction: number) => {
        const f = join(dir, `fill-${n++}`);
        rmSync(join(dir, `fill-${n - 2}`), { force: true });
        writeFileSync(f, Buffer.alloc(Math.round(SIZE * fraction), 1));
        const s = sampler.sample();
        assert.ok(Math.abs(s.disks[0]!.usedPct - fraction * 100) < 1, `used ${s.disks[0]!.usedPct} for ${fraction}`);
        const got = thresholds.update(readingsOf(s), s.at).filter((e) => e.metric === 'disk');
        events.push(...got);
        return { sample: s, events: got, file: f };
      };

      fillTo(0.1);
      fillTo(0.5);
      const crossed = fillTo(0.87);
      assert.deepEqual(
        crossed.events.map((e) => [e.kind, e.level, e.subject, e.threshold]),
        [['alert', 'warning', dir, 85]],
      );
      for (const f of [0.84, 0.86, 0.83, 0.88, 0.81, 0.85, 0.82])
        assert.deepEqual(fillTo(f).events, [], `hovering at ${f}`);
      const freed = fillTo(0.5);
      assert.deepEqual(
        freed.events.map((e) => [e.kind, e.level, e.state]),
        [['recovery', 'warning', 'ok']],
      );

      const full = fillTo(0.97);
      assert.deepEqual(
        full.events.map((e) => [e.kind, e.level, e.threshold]),
        [['alert', 'emergency', 95]],
      );
      assert.ok(full.sample.disks[0]!.freeBytes < 0.04 * SIZE);
      assert.deepEqual(fillTo(0.92).events, []);
      assert.deepEqual(
        fillTo(0.2).events.map((e) => [e.kind, e.level, e.state]),
        [['recovery', 'emergency', 'ok']],
      );
      assert.equal(events.length, 4);

      // The temp tracker, ticked once per sample, follows the same tree.
      await new Promise((r) => setTimeout(r, 2100));
      let s = sampler.sample();
      for (let i = 0; i < 5; i++) s = sampler.sample();
      const last = statSync(join(dir, `fill-${n - 1}`));
      assert.deepEqual([s.temp?.files, s.temp?.bytes, s.temp?.complete], [1, last.blocks * 512, true]);
      sampler.close();
    } finally {
      await umountAll(mounted);
      rmdirSync(dir);
    }
  },
);

test(
  'temp tracker counts neither a mounted file system nor a same-device bind mount inside the tree',
  { skip: needsRoot() },
  async () => {
    const top = mkdtempSync('/tmp/isoswarm-test-mnt-');
    const dir = join(top, 'tree');
    const mounted: string[] = [];
    try {
      mkdirSync(dir);
      symlinkSync(dir, join(top, 'link'));
      writeFileSync(join(dir, 'a'), 'x'.repeat(1000));
      mkdirSync(join(dir, 'src'));
      for (const f of ['1', '2', '3']) writeFileSync(join(dir, 'src', f), f);
      mkdirSync(join(dir, 'inner'));
      mkdirSync(join(dir, 'bound'));
      await runOk('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'isoswarm-test', join(dir, 'inner')]);
      mounted.unshift(join(dir, 'inner'));
      writeFileSync(join(dir, 'inner', 'big'), Buffer.alloc(1 << 20, 1));
      await runOk('mount', ['--bind', join(dir, 'src'), join(dir, 'bound')]);
      mounted.unshift(join(dir, 'bound'));

      // Directly, and through a symlink to the tree (a configured temp dir may be a link).
      for (const root of [dir, join(top, 'link')]) {
        const t = new TempTracker(root, { checkIntervalMs: 0 });
        try {
          for (let i = 0; i < 100 && t.usage().passes < 2; i++) t.tick();
          const u = t.usage();
          assert.deepEqual([u.files, u.apparentBytes, u.dirs, u.complete], [4, 1003, 2, true], root);
        } finally {
          t.close();
        }
      }
    } finally {
      await umountAll(mounted);
      rmSync(top, { recursive: true, force: true });
    }
  },
);
