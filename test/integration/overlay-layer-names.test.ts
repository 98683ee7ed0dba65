// mountinfo names an overlay's layers as the mounter gave them: through a symlink, or relative to the
// dir it worked in (`cd dir && mount -t overlay ... merged`, and Docker's short `l/` links). The
// deleter and the Cleaner's plan still find those layers and refuse them. Real overlays, real files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { planClean } from '../../agents/cleaner/plan.js';
import { defaultDeny, type PathPolicy } from '../../src/host/guard/path-policy.js';
import { deleteTree } from '../../src/host/delete/safe-delete.js';
import { makeScratch, removeScratch } from '../helpers/cleaner-fixture.js';
import { needsRoot } from '../helpers/root.js';

const scratch = makeScratch('overlay-names');
const policy: PathPolicy = { safePrefixes: [scratch], deny: defaultDeny() };
after(() => removeScratch(scratch));

function dirsWithFiles(...dirs: string[]): void {
  for (const d of dirs) {
    mkdirSync(d, { recursive: true });
    writeFileSync(`${d}/keep`, d);
  }
}

/** Mounts an overlay from `cwd` with `opts` on `at`, runs `body`, and always unmounts. */
async function withOverlay(cwd: string, opts: string, at: string, body: () => Promise<void>): Promise<void> {
  const m = spawnSync('mount', ['-t', 'overlay', 'isoswarm-test', '-o', opts, at], { cwd, encoding: 'utf8' });
  assert.equal(m.status, 0, m.stderr);
  try {
    await body();
  } finally {
    // Not asserted here (that would hide the body's failure): a mount left fails the scratch removal.
    const u = spawnSync('umount', [at], { cwd, encoding: 'utf8' });
    if (u.status !== 0) process.stderr.write(`umount ${at}: ${u.stderr}`);
  }
}

async function refused(path: string): Promise<void> {
  const before = readdirSync(path, { recursive: true }).sort();
  const del = await deleteTree(path);
  assert.match(del.refused ?? '', /is a layer of the overlay mounted at/, `${path}: ${JSON.stringify(del)}`);
  assert.deepEqual(readdirSync(path, { recursive: true }).sort(), before, `${path} is untouched`);
  const plan = await planClean([{ path, kind: 'tree' }], policy, ['/root']);
  assert.equal(plan.targets[0]?.refused?.code, 'mounted', JSON.stringify(plan.targets[0]));
}

test('layers named through a symlink are refused by their real paths', { skip: needsRoot() }, async () => {
  const base = `${scratch}/sym`;
  dirsWithFiles(`${base}/real/lower`, `${base}/real/upper`, `${base}/real/work`, `${base}/real/other`);
  mkdirSync(`${base}/merged`);
  symlinkSync('real', `${base}/link`);
  const l = `${base}/link`;
  await withOverlay('/', `lowerdir=${l}/lower,upperdir=${l}/upper,workdir=${l}/work`, `${base}/merged`, async () => {
    for (const d of ['lower', 'upper', 'work']) await refused(`${base}/real/${d}`);
    await refused(`${base}/real`); // around the layers
    const other = await deleteTree(`${base}/real/other`);
    assert.ok(other.complete, `a sibling is deleted: ${JSON.stringify(other)}`);
  });
});

test("layers named relative to the mounter's dir are refused", { skip: needsRoot() }, async () => {
  const base = `${scratch}/rel`;
  dirsWithFiles(`${base}/lower`, `${base}/upper`, `${base}/work`);
  mkdirSync(`${base}/merged`);
  await withOverlay(base, 'lowerdir=lower,upperdir=upper,workdir=work', 'merged', async () => {
    for (const d of ['lower', 'upper', 'work']) await refused(`${base}/${d}`);
  });
});

test('Docker-style short links, relative to the dir above each layer, are refused', { skip: needsRoot() }, async () => {
  const root = `${scratch}/docker`;
  dirsWithFiles(`${root}/aaa/diff`, `${root}/bbb/diff`, `${root}/ctr/diff`, `${root}/ctr/work`);
  mkdirSync(`${root}/ctr/merged`);
  mkdirSync(`${root}/l`);
  symlinkSync('../aaa/diff', `${root}/l/AAA`);
  symlinkSync('../bbb/diff', `${root}/l/BBB`);
  const opts = `lowerdir=l/AAA:l/BBB,upperdir=${root}/ctr/diff,workdir=${root}/ctr/work`;
  await withOverlay(root, opts, `${root}/ctr/merged`, async () => {
    for (const d of ['aaa/diff', 'bbb/diff', 'aaa']) await refused(`${root}/${d}`);
    assert.deepEqual(readdirSync(`${root}/aaa/diff`), ['keep']);
  });
});

test('layers whose paths hold a space or a comma are refused', { skip: needsRoot() }, async () => {
  const base = `${scratch}/odd`;
  dirsWithFiles(`${base}/lo w`, `${base}/u,p`, `${base}/work`);
  mkdirSync(`${base}/merged`);
  await withOverlay(
    '/',
    `lowerdir=${base}/lo w,upperdir=${base}/u\\,p,workdir=${base}/work`,
    `${base}/merged`,
    async () => {
      for (const d of ['lo w', 'u,p']) await refused(`${base}/${d}`);
    },
  );
});

test(
  'layers given one a key (lowerdir+, the new mount API) and through ".." are refused',
  { skip: needsRoot() },
  async () => {
    const base = `${scratch}/plus`;
    dirsWithFiles(`${base}/l1`, `${base}/l2`, `${base}/lower`, `${base}/up`, `${base}/wk`);
    mkdirSync(`${base}/x`);
    mkdirSync(`${base}/merged`);
    const opts = `lowerdir+=${base}/l1,lowerdir+=${base}/x/../lower,lowerdir+=${base}/l2,upperdir=${base}/up,workdir=${base}/wk`;
    await withOverlay('/', opts, `${base}/merged`, async () => {
      rmdirSync(`${base}/x`); // the name through ".." no longer resolves
      for (const d of ['l1', 'l2', 'lower', 'up']) await refused(`${base}/${d}`);
    });
  },
);

test('a layer reached under another name through a bind mount is refused', { skip: needsRoot() }, async () => {
  const base = `${scratch}/alias`;
  dirsWithFiles(`${base}/a/lower`, `${base}/a/up`, `${base}/a/wk`);
  mkdirSync(`${base}/b`);
  mkdirSync(`${base}/merged`);
  const bind = spawnSync('mount', ['--bind', `${base}/a`, `${base}/b`], { encoding: 'utf8' });
  assert.equal(bind.status, 0, bind.stderr);
  try {
    const a = `${base}/a`;
    await withOverlay('/', `lowerdir=${a}/lower,upperdir=${a}/up,workdir=${a}/wk`, `${base}/merged`, async () => {
      await refused(`${base}/b/lower`);
      await refused(`${base}/b/up`);
    });
  } finally {
    spawnSync('umount', [`${base}/b`]);
  }
});
