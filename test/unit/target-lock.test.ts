import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import { acquireTargetLock, lockName } from '../../src/host/guard/target-lock.js';

const mod = new URL('../../src/host/guard/target-lock.js', import.meta.url).pathname;

/** A real second process that takes the lock and holds it until killed. */
async function holder(target: string): Promise<ChildProcess> {
  const code = `const { acquireTargetLock } = await import(${JSON.stringify(mod)});
    const l = await acquireTargetLock(${JSON.stringify(target)});
    process.stdout.write(l ? 'held\\n' : 'busy\\n');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const first = await new Promise<string>((resolve, reject) => {
    child.stdout?.once('data', (b: Buffer) => resolve(b.toString().trim()));
    child.once('exit', () => reject(new Error('holder exited')));
  });
  assert.equal(first, 'held');
  return child;
}

async function kill(child: ChildProcess, sig: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill(sig);
  await gone;
}

const target = `/srv/isoswarm-lock-test-${process.pid}`;

test('one holder at a time in one process; release frees it', async () => {
  const a = await acquireTargetLock(target);
  assert.ok(a);
  assert.equal(await acquireTargetLock(target), null);
  const other = await acquireTargetLock(`${target}-other`);
  assert.ok(other, 'another target is independent');
  await a.release();
  await a.release(); // idempotent
  const b = await acquireTargetLock(target);
  assert.ok(b);
  await b.release();
  await other.release();
  assert.match(lockName(target), /^isoswarm-lock-[0-9a-f]{64}$/);
});

test('a second process is refused while the first holds it; SIGKILL of the holder frees it', async () => {
  const child = await holder(target);
  try {
    assert.equal(await acquireTargetLock(target), null, 'held by the other process');
    await kill(child, 'SIGKILL');
    // The kernel releases the abstract socket with the process: no stale lock file to clean.
    const mine = await acquireTargetLock(target);
    assert.ok(mine, 'free after the holder was SIGKILLed');
    await mine.release();
  } finally {
    await kill(child, 'SIGKILL');
  }
});

test('the other process is refused while this one holds it', async () => {
  const mine = await acquireTargetLock(target);
  assert.ok(mine);
  const code = `const { acquireTargetLock } = await import(${JSON.stringify(mod)});
    const l = await acquireTargetLock(${JSON.stringify(target)});
    process.stdout.write(l ? 'held' : 'busy');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  await new Promise((r) => child.once('exit', r));
  assert.equal(out, 'busy');
  await mine.release();
});
