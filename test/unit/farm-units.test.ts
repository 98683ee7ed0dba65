// The farm's shipped files are valid for the tools that read them: the systemd unit passes
// `systemd-analyze verify` without a warning, and the example cluster node config (with the users
// `isoswarm farm credentials` writes) passes `nats-server -t`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CLI, cliSync, removeScratch, scratchHome, testEnv } from '../helpers/cli.js';

const farmDir = fileURLToPath(new URL('../../../config/farm/', import.meta.url));

describe('farm unit files and cluster config', () => {
  const dir = scratchHome('farm-units');
  after(() => removeScratch(dir));

  test('isoswarm.service passes systemd-analyze verify', () => {
    const unit = readFileSync(join(farmDir, 'isoswarm.service'), 'utf8');
    assert.match(unit, /^ExecStart=\/usr\/local\/bin\/isoswarm up --foreground$/m);
    assert.match(unit, /^Restart=on-failure$/m);
    assert.match(unit, /^StateDirectory=isoswarm$/m);
    assert.match(unit, /^LoadCredential=farm-credentials\.json:/m);
    // The command must exist for verify: the built CLI stands in for the installed one.
    const file = join(dir, 'isoswarm.service');
    writeFileSync(file, unit.replace('/usr/local/bin/isoswarm', CLI));
    const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const ours = r.stderr.split('\n').filter((l) => l.includes(file));
    assert.deepEqual(ours, [], 'no warning about the unit');
  });

  test('the cluster node config with the generated farm users passes nats-server -t', () => {
    const r = cliSync(testEnv(join(dir, 'home')), [
      'farm',
      'credentials',
      '--hosts',
      'build1,build2,build3',
      '--out',
      dir,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { files: string[] }).files.length, 4);
    const conf = readFileSync(join(farmDir, 'nats-node.conf'), 'utf8').replace(
      '/var/lib/nats/jetstream',
      join(dir, 'js'),
    );
    writeFileSync(join(dir, 'node.conf'), conf);
    const t = spawnSync('nats-server', ['-c', join(dir, 'node.conf'), '-t'], { encoding: 'utf8' });
    assert.equal(t.status, 0, t.stderr + t.stdout);
    const creds = JSON.parse(readFileSync(join(dir, 'build2.farm-credentials.json'), 'utf8')) as {
      host: string;
      users: Record<string, { user: string }>;
    };
    assert.equal(creds.host, 'build2');
    assert.equal(creds.users.cleaner!.user, 'isoswarm-cleaner@build2');
    const bad = cliSync(testEnv(join(dir, 'home')), ['farm', 'credentials', '--hosts', 'a.b', '--out', dir]);
    assert.equal(bad.code, 2, bad.stderr);
  });
});
