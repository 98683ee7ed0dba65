// A host dir an isolated build (`run --isolate`: its own mount namespace) mounted into its tree is the
// build's too, though our mountinfo never shows that bind: a cleanup or teardown of it, of a dir in it
// or of one around it is refused while the build runs, whether the namespace's process is chrooted
// into the tree or not. A real process holds the tree's build lock; its child binds a real dir in a
// real private namespace.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { planClean } from '../../agents/cleaner/plan.js';
import { buildInTree } from '../../src/host/guard/build-lock.js';
import { defaultDeny, type PathPolicy } from '../../src/host/guard/path-policy.js';
import { readMountinfo } from '../../src/host/mounts/mountinfo.js';
import { isAtOrUnder } from '../../src/host/fs/paths.js';
import { needsRoot } from '../helpers/root.js';

const lockModule = fileURLToPath(new URL('../../src/host/guard/build-lock.js', import.meta.url));
const base = mkdtempSync('/tmp/isoswarm-test-isolated-mounts-');
const policy: PathPolicy = { safePrefixes: [base], deny: defaultDeny() };
const procs: ChildProcess[] = [];
const isolated: number[] = [];
after(async () => {
  for (const pid of isolated)
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  for (const p of procs) p.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 200));
  // The binds lived in the namespaces only; nothing of ours is mounted on the host.
  if (!(await readMountinfo()).some((m) => isAtOrUnder(m.mountPoint, base)))
    rmSync(base, { recursive: true, force: true });
});

/**
 * A process holding `tree`'s build lock whose child runs `script` in a private mount namespace
 * (propagation slave, as `run --isolate` starts a build); resolves once the script printed "ok".
 */
async function isolatedBuild(tree: string, script: string, run: string): Promise<{ b: ChildProcess; pid: number }> {
  const code = `
const m = await import(${JSON.stringify(lockModule)});
const l = await m.takeGuardianBuildLock(${JSON.stringify(tree)}, 'run ${run} (guardian pid ' + process.pid + ') is building in it');
if (!l) { console.log('not held'); process.exit(1); }
const { spawn } = await import('node:child_process');
const c = spawn('unshare', ['--mount', '--propagation', 'slave', '--', 'sh', '-c', ${JSON.stringify(script)}], { stdio: ['ignore', 'pipe', 'inherit'] });
c.stdout.once('data', (b) => console.log(b.toString().trim() + ' ' + c.pid));
c.once('exit', (code) => console.log('exited ' + code));
setInterval(() => {}, 1000);`;
  const proc = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  procs.push(proc);
  const [line] = (await once(proc.stdout!, 'data')) as [Buffer];
  const [word, pid] = line.toString().trim().split(' ');
  assert.equal(word, 'ok', line.toString());
  isolated.push(Number(pid));
  return { b: proc, pid: Number(pid) };
}

async function refusedAll(pkgs: string, tree: string, run: string): Promise<void> {
  assert.ok(!(await readMountinfo()).some((m) => isAtOrUnder(m.mountPoint, tree)), 'the bind is not in our namespace');
  for (const target of [pkgs, `${pkgs}/sub`])
    assert.match(
      (await buildInTree(target)) ?? '',
      new RegExp(
        `^\\S+/pkgs(/sub)? is mounted at \\S+/tree/mnt/pkgs in another mount namespace, inside \\S+/tree, in use by a build: run ${run} `,
      ),
      target,
    );
  assert.equal(await buildInTree(`${base}/unrelated`), null, 'a dir beside the mounted one');
  // What a cleanup of it plans: refused, nothing deleted.
  const plan = await planClean([{ path: pkgs, kind: 'tree' }], policy, ['/root']);
  assert.equal(plan.targets[0]?.refused?.code, 'locked', JSON.stringify(plan.targets[0]));
}

test("a host dir bound into an isolated build's tree is refused while it builds", { skip: needsRoot() }, async () => {
  const tree = `${base}/a/tree`;
  const pkgs = `${base}/a/pkgs`;
  for (const d of [`${tree}/mnt/pkgs`, `${pkgs}/sub`, `${base}/unrelated`]) mkdirSync(d, { recursive: true });
  const { b } = await isolatedBuild(
    tree,
    `mount --bind ${pkgs} ${tree}/mnt/pkgs && echo ok && exec sleep 600`,
    'iso-1',
  );
  await refusedAll(pkgs, tree, 'iso-1');
  b.kill('SIGKILL');
  await once(b, 'exit');
  assert.equal(await buildInTree(pkgs), null, 'no build lock, no refusal');
});

test("the same when the namespace's only process is chrooted into the tree", { skip: needsRoot() }, async () => {
  const tree = `${base}/b/tree`;
  const pkgs = `${base}/b/pkgs`;
  for (const d of [`${tree}/mnt/pkgs`, `${tree}/usr`, `${pkgs}/sub`]) mkdirSync(d, { recursive: true });
  for (const l of ['lib', 'lib64', 'bin']) symlinkSync(`usr/${l}`, `${tree}/${l}`);
  const script = `mount --bind ${pkgs} ${tree}/mnt/pkgs && mount --bind /usr ${tree}/usr && echo ok && exec chroot ${tree} /usr/bin/sleep 600`;
  const { b, pid } = await isolatedBuild(tree, script, 'iso-2');
  // Checked once the exec into the chroot is done: then no process of the namespace has "/" as root.
  for (let i = 0; i < 200 && readlinkSync(`/proc/${pid}/root`) !== tree; i++)
    await new Promise((r) => setTimeout(r, 25));
  assert.equal(readlinkSync(`/proc/${pid}/root`), tree);
  await refusedAll(pkgs, tree, 'iso-2');
  b.kill('SIGKILL');
  await once(b, 'exit');
});

test('the same when the namespace pivoted into the tree', { skip: needsRoot() }, async () => {
  const tree = `${base}/p/tree`;
  const pkgs = `${base}/p/pkgs`;
  for (const d of [`${tree}/mnt/pkgs`, `${tree}/usr`, `${tree}/old`, `${tree}/proc`, `${pkgs}/sub`])
    mkdirSync(d, { recursive: true });
  for (const l of ['lib', 'lib64', 'bin']) symlinkSync(`usr/${l}`, `${tree}/${l}`);
  const script = [
    `mount --bind ${tree} ${tree}`,
    `mount --bind ${pkgs} ${tree}/mnt/pkgs`,
    `mount --bind /usr ${tree}/usr`,
    `cd ${tree}`,
    'pivot_root . old',
    'mount -t proc proc /proc', // umount reads /proc/self/mountinfo
    'umount -l /old', // as bwrap and nspawn do: the old root leaves the namespace
    'echo ok',
    'exec /usr/bin/sleep 600',
  ].join(' && ');
  const { b, pid } = await isolatedBuild(tree, script, 'iso-3');
  assert.equal(readlinkSync(`/proc/${pid}/root`), '/', 'a pivoted root reads as "/"');
  await refusedAll(pkgs, tree, 'iso-3');
  b.kill('SIGKILL');
  await once(b, 'exit');
});

test('a layer of an overlay an isolated build mounted in its tree is refused', { skip: needsRoot() }, async () => {
  const tree = `${base}/o/tree`;
  const layers = `${base}/o/layers`;
  for (const d of [`${tree}/ovl/up`, `${tree}/ovl/wk`, `${tree}/mnt/ov`, `${layers}/lower`])
    mkdirSync(d, { recursive: true });
  const opts = `lowerdir=${layers}/lower,upperdir=${tree}/ovl/up,workdir=${tree}/ovl/wk`;
  const { b } = await isolatedBuild(
    tree,
    `mount -t overlay isoswarm-test -o ${opts} ${tree}/mnt/ov && echo ok && exec sleep 600`,
    'iso-4',
  );
  for (const target of [`${layers}/lower`, layers])
    assert.match(
      (await buildInTree(target)) ?? '',
      /is a layer of the overlay mounted at \S+\/o\/tree\/mnt\/ov, .*\(in another mount namespace\), inside \S+\/o\/tree, in use by a build: run iso-4 /,
      target,
    );
  assert.equal(await buildInTree(`${base}/unrelated`), null);
  b.kill('SIGKILL');
  await once(b, 'exit');
});
