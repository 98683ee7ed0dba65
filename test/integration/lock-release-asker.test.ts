// A lock's holder answers whoever connects, and any local user can connect and keep its end open.
// Letting go of the lock must not wait for such an asker: the name is free at once (taken again
// here). A real process as the asker, as user nobody.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { acquireNamedLock } from '../../src/host/guard/target-lock.js';
import { needsRoot } from '../helpers/root.js';

test('a connection kept open by another user does not hold up a release', { skip: needsRoot() }, async () => {
  const name = `isoswarm-lock-test-${randomBytes(6).toString('hex')}`;
  const lock = await acquireNamedLock(name, 'isoswarm (pid 1) holds the target lock');
  assert.ok(lock);
  const asker = spawn(
    'setpriv',
    [
      '--reuid=nobody',
      '--regid=nogroup',
      '--clear-groups',
      '--',
      process.execPath,
      '-e',
      `const c = require('node:net').createConnection({ path: '\\0${name}', allowHalfOpen: true });
       c.on('data', () => console.log('connected'));
       setTimeout(() => process.exit(2), 30000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const [first] = (await once(asker.stdout!, 'data')) as [Buffer];
    assert.match(first.toString(), /connected/);
    await lock.release();
    const again = await acquireNamedLock(name);
    assert.ok(again, 'the name is free at once');
    await again.release();
    assert.equal(asker.exitCode, null, 'the asker kept its end open all along');
  } finally {
    asker.kill('SIGKILL');
  }
});
