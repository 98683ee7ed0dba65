// An ancestor of a planned tree swapped for a symlink (to a victim with the same layout below it)
// after the path was resolved: deleteTree, moveAside, the move-then-delete, and applyClean must
// refuse with `changed` and leave the victim whole, instead of following the link.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, renameSync, symlinkSync } from 'node:fs';
import { after, test } from 'node:test';
import { applyClean } from '../../agents/cleaner/apply.js';
import { planClean } from '../../agents/cleaner/plan.js';
import { deleteAside } from '../../src/host/delete/aside.js';
import { openJournal } from '../../src/host/guard/journal.js';
import { defaultDeny, resolveTarget, type PathPolicy } from '../../src/host/guard/path-policy.js';
import { deleteTree, moveAside, trashPathFor, trashStepId } from '../../src/host/delete/safe-delete.js';
import { brokenCanaries, makeScratch, makeTree, removeScratch, writeCanaries } from '../helpers/cleaner-fixture.js';
import { needsRoot } from '../helpers/root.js';

const scratch = makeScratch('swap');
const policy: PathPolicy = { safePrefixes: [`${scratch}/W`], deny: defaultDeny() };
const homes = ['/root'];
after(() => removeScratch(scratch));

/** /W/<case>/a/b/target (a tree) and /W/<case>/victim/b/target (canaries); `swap()` makes a a symlink to victim. */
function layout(name: string): { target: string; victim: Map<string, string>; real: string; swap: () => void } {
  const w = `${scratch}/W/${name}`;
  makeTree(`${w}/a/b/target`, 3, 4);
  const victim = writeCanaries(`${w}/victim/b/target`);
  return {
    target: `${w}/a/b/target`,
    victim,
    real: `${w}/a-real`,
    swap: () => {
      renameSync(`${w}/a`, `${w}/a-real`);
      symlinkSync(`${w}/victim`, `${w}/a`);
    },
  };
}

async function fileId(path: string): Promise<string> {
  const r = await resolveTarget(path);
  assert.ok(r.ok, JSON.stringify(r));
  return r.fileId;
}

test(
  'deleteTree after an ancestor became a symlink: refused as changed, victim intact',
  { skip: needsRoot() },
  async () => {
    const l = layout('delete');
    const id = await fileId(l.target);
    l.swap();
    const d = await deleteTree(l.target, { expectFileId: id });
    assert.equal(d.changed, true, JSON.stringify(d));
    assert.match(d.refused ?? '', /symlink/);
    assert.equal(d.deletedFiles, 0);
    assert.deepEqual(brokenCanaries(l.victim), []);
    assert.ok(existsSync(`${l.real}/b/target/g0`), 'the planned tree is untouched too');
    // Without a fileId the walk from / still refuses to pass the link.
    assert.equal((await deleteTree(l.target)).changed, true);
    assert.deepEqual(brokenCanaries(l.victim), []);
  },
);

test(
  'moveAside after an ancestor became a symlink: refused as changed, nothing renamed',
  { skip: needsRoot() },
  async () => {
    const l = layout('move');
    l.swap();
    const m = await moveAside(l.target);
    assert.equal(m.ok, false);
    assert.equal(m.changed, true, JSON.stringify(m));
    assert.deepEqual(brokenCanaries(l.victim), []);
    assert.deepEqual(readdirSync(`${l.real}/b`), ['target']);
  },
);

test(
  'swap between moveAside and deleteTree of the trash: refused, victim trash-named sibling intact',
  { skip: needsRoot() },
  async () => {
    const l = layout('between');
    const id = await fileId(l.target);
    const m = await moveAside(l.target, undefined, { expectFileId: id });
    assert.ok(m.ok && m.trashPath, JSON.stringify(m));
    // A victim directory with the very trash name, reached through the swapped-in link.
    const victimTrash = writeCanaries(m.trashPath.replace('/a/b/', '/victim/b/'));
    l.swap();
    const d = await deleteTree(m.trashPath, { expectFileId: id });
    assert.equal(d.changed, true, JSON.stringify(d));
    assert.deepEqual(brokenCanaries(victimTrash), []);
    assert.deepEqual(brokenCanaries(l.victim), []);
  },
);

test(
  'deleteAside: a swap right after the rename stops it before the delete (changed, trash kept)',
  { skip: needsRoot() },
  async () => {
    const l = layout('aside');
    const id = await fileId(l.target);
    let trash = '';
    const r = await deleteAside(l.target, undefined, {
      fileId: id,
      onMoved: (t) => {
        trash = t;
        writeCanaries(t.replace('/a/b/', '/victim/b/'));
        l.swap();
      },
    });
    assert.match(r.changed ?? '', /symlink/, JSON.stringify(r));
    assert.equal(r.deleted, undefined);
    assert.deepEqual(brokenCanaries(l.victim), []);
    assert.equal(readdirSync(`${scratch}/W/aside/victim/b`).length, 2, 'victim and its trash-named sibling');
    assert.ok(existsSync(trash.replace('/a/b/', '/a-real/b/')), 'the planned tree waits as trash');
  },
);

test('deleteAside refuses a tree that is not the planned directory', { skip: needsRoot() }, async () => {
  const l = layout('other');
  const r = await deleteAside(l.target, undefined, { fileId: '1:1' });
  assert.match(r.changed ?? '', /not the planned directory/);
  assert.ok(existsSync(`${l.target}/g0`));
});

test(
  'applyClean: an ancestor swapped after the re-check (while an old trash is finished): refused "changed", victim intact',
  { skip: needsRoot() },
  async () => {
    const l = layout('apply');
    const journalDir = `${scratch}/state/journal`;
    const plan = await planClean([{ path: l.target, kind: 'tree' }], policy, homes);
    assert.ok(plan.targets[0]?.target, JSON.stringify(plan));
    // An interrupted earlier run left trash next to the target: finishing it reports progress, and the
    // swap happens right then, after apply judged the path again.
    const oldTrash = trashPathFor(l.target);
    mkdirSync(oldTrash);
    const j = await openJournal(journalDir, l.target);
    await j.begin({ id: trashStepId(oldTrash), step: 'trash', from: l.target, to: oldTrash });
    await j.close();
    let swapped = false;
    const r = await applyClean(plan, {
      journalDir,
      policy,
      homes,
      onProgress: () => {
        if (swapped) return;
        swapped = true;
        l.swap();
      },
    });
    assert.ok(swapped);
    assert.equal(r.targets[0]?.status, 'refused', JSON.stringify(r));
    assert.equal(r.targets[0]?.code, 'changed');
    assert.deepEqual(brokenCanaries(l.victim), []);
    assert.ok(existsSync(`${l.real}/b/target/g0`), 'the planned tree stays until planned again');
  },
);
