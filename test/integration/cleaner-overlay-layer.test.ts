// A dir that is a layer of a mounted overlay is never cleaned, whoever mounted the overlay and
// whether or not anybody holds its lock (the moment the tuner is gone and not yet back): the plan
// (and so a dry run), the apply and the safe deleter all refuse, and nothing in it changes. Real
// overlay, real files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { applyClean } from '../../agents/cleaner/apply.js';
import { planClean } from '../../agents/cleaner/plan.js';
import { defaultDeny, type PathPolicy } from '../../src/host/guard/path-policy.js';
import { deleteTree } from '../../src/host/delete/safe-delete.js';
import { makeScratch, removeScratch } from '../helpers/cleaner-fixture.js';
import { needsRoot } from '../helpers/root.js';

const scratch = makeScratch('overlay-layer');
const policy: PathPolicy = { safePrefixes: [`${scratch}/builds`], deny: defaultDeny() };
after(() => removeScratch(scratch));

test('a layer of a mounted overlay is refused by the plan and by the apply', { skip: needsRoot() }, async () => {
  const cache = `${scratch}/builds/apt`;
  const upper = `${scratch}/builds/o/upper`;
  const work = `${scratch}/builds/o/work`;
  const at = `${scratch}/builds/chroot/var/cache/apt/archives`;
  for (const d of [cache, upper, work, at]) mkdirSync(d, { recursive: true });
  for (let i = 0; i < 3; i++) writeFileSync(`${cache}/p${i}_1.0_amd64.deb`, Buffer.alloc(1000, i));
  const opts = `lowerdir=${cache},upperdir=${upper},workdir=${work}`;
  assert.equal(spawnSync('mount', ['-t', 'overlay', 'isoswarm-test', '-o', opts, at]).status, 0);
  try {
    const targets = [
      { path: cache, kind: 'cache' as const, limitBytes: 0 },
      { path: `${scratch}/builds/o`, kind: 'tree' as const },
    ];
    const plan = await planClean(targets, policy, ['/root']);
    for (const t of plan.targets) {
      assert.equal(t.refused?.code, 'mounted', JSON.stringify(t));
      assert.match(
        t.refused?.reason ?? '',
        /is a layer of the overlay mounted at .*\/chroot\/var\/cache\/apt\/archives/,
      );
    }
    // The apply checks again (a plan made before the mount would not have refused).
    const unrefused = { ...plan, targets: plan.targets.map((t) => ({ ...t, refused: null })) };
    const r = await applyClean(unrefused, { journalDir: `${scratch}/state/journal`, policy, homes: ['/root'] });
    for (const t of r.targets) {
      assert.equal(t.status, 'refused', JSON.stringify(t));
      assert.match(t.reason ?? '', /is a layer of the overlay mounted at .*; nothing deleted/);
    }
    assert.equal(readdirSync(cache).length, 3, 'nothing evicted');
    // The safe deleter itself refuses too, whoever calls it.
    const del = await deleteTree(`${scratch}/builds/o`);
    assert.match(del.refused ?? '', /is a layer of the overlay mounted at/);
    assert.deepEqual(readdirSync(`${scratch}/builds/o`).sort(), ['upper', 'work']);
  } finally {
    assert.equal(spawnSync('umount', [at]).status, 0);
  }
});
