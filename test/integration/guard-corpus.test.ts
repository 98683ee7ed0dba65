// The guard against a live build chroot (proc, sysfs, a /dev bind, devpts, tmpfs, a daemon rooted
// inside) and clean trees: every command of the request's "robust unmounting" block is denied while
// the binds are live and allowed once they are gone; harmless commands are allowed throughout.
// False denials and false allows are counted and printed.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { runOk } from '../../src/host/exec.js';
import { mountsUnder, unmountOrder } from '../../src/host/mounts/mountinfo.js';
import { defaultDeny } from '../../src/host/guard/path-policy.js';
import { judgeCommandLine } from '../../src/guard/guard.js';
import {
  debootstrapMounts,
  isRunning,
  mount,
  startProcess,
  waitRooted,
  withFixture,
} from '../helpers/chroot-fixture.js';
import { readMountsSync } from '../helpers/host-snapshot.js';
import { cliSync, removeScratch, scratchHome, testEnv } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';
import { corpus, type Expect } from './guard-corpus-cases.js';

test(
  'guard corpus: live chroot, then the same commands after teardown',
  { timeout: 120_000, skip: needsRoot() },
  async () => {
    await withFixture('guard', async (fx) => {
      const S = fx.scratch;
      const R = `${S}/ailinux`;
      const C = `${R}/chroot`;
      mkdirSync(C, { recursive: true });
      await debootstrapMounts(C);
      const daemon = startProcess(fx, 'chroot', [C, 'sleep', '1000']);
      await waitRooted(daemon, C);
      const outsider = startProcess(fx, 'sleep', ['1001']);
      // Clean trees and a leaf mount.
      for (const d of ['clean/build/obj', 'proj/build', 'src', 'plainroot/bin', 'leaf', 'shared', 'notmounted'])
        mkdirSync(`${S}/${d}`, { recursive: true });
      writeFileSync(`${S}/clean/build/obj/a.o`, 'x');
      writeFileSync(`${S}/clean/file.txt`, 'x');
      await mount('-t', 'tmpfs', '-o', 'size=1m', 'leaf', `${S}/leaf`);
      // A shared mount, as / is on a systemd host: binds under it propagate.
      await mount('-t', 'tmpfs', '-o', 'size=1m', 'shared', `${S}/shared`);
      await mount('--make-shared', `${S}/shared`);
      mkdirSync(`${S}/shared/x`);
      mkdirSync(`${S}/shared/sys`);

      const policy = { safePrefixes: ['/tmp', '/var/tmp', '/srv', '/mnt'], deny: defaultDeny() };
      const cases = corpus({ S, R, C });
      assert.ok(cases.length >= 60, `corpus has ${cases.length} commands`);
      const falseDeny: string[] = [];
      const falseAllow: string[] = [];
      const judge = async (phase: 'live' | 'gone', pick: (e: Expect) => 'allow' | 'deny' | null): Promise<number> => {
        let n = 0;
        for (const c of cases) {
          const want = pick(c);
          if (want === null) continue;
          n++;
          const v = await judgeCommandLine(c.cmd, { cwd: c.cwd ?? S, policy, home: '/root' });
          if (v.decision !== want)
            (want === 'deny' ? falseAllow : falseDeny).push(
              `[${phase}] ${c.cmd} -> ${v.decision}: ${v.reasons.join(' | ') || v.notes.join(' | ') || 'no finding'}`,
            );
          if (v.decision === 'deny' && c.block)
            assert.ok(
              v.safeCommands.some((s) => s.startsWith('isoswarm ')),
              `a redirect to isoswarm for ${c.cmd}: ${v.safeCommands.join(' | ')}`,
            );
        }
        return n;
      };
      const live = await judge('live', (e) => e.live);
      // The same block through the built CLI (no swarm: the CLI judges itself): exit 3, then 0.
      const block = cases[4]!.cmd;
      const viaCli = () => {
        const home = scratchHome('guard-cli');
        try {
          return cliSync(testEnv(home), ['guard', '--cwd', S, '--', block]);
        } finally {
          removeScratch(home);
        }
      };
      const cliLive = viaCli();
      assert.equal(cliLive.code, 3, cliLive.stdout + cliLive.stderr);
      assert.match(cliLive.stdout, /isoswarm (cleanup|unmount) /);

      // Tear the chroot down (the daemon first, then children before parents), keep the rest.
      process.kill(-daemon.pid!, 'SIGKILL');
      process.kill(-outsider.pid!, 'SIGKILL');
      for (let i = 0; i < 100 && (isRunning(daemon) || isRunning(outsider)); i++)
        await new Promise((r) => setTimeout(r, 20));
      for (const m of unmountOrder(mountsUnder(readMountsSync(), R)))
        await runOk('umount', ['--no-canonicalize', '--', m.mountPoint]);
      assert.equal(mountsUnder(readMountsSync(), R).length, 0);
      const gone = await judge('gone', (e) => e.gone);
      const cliGone = viaCli();
      assert.equal(cliGone.code, 0, cliGone.stdout + cliGone.stderr);

      const blockLive = cases.filter((c) => c.block).length;
      process.stdout.write(
        `guard corpus: ${cases.length} commands; ${live} judged live, ${gone} after teardown; block commands ${blockLive}\n`,
      );
      process.stdout.write(`false denials: ${falseDeny.length}\n${falseDeny.map((l) => `  ${l}\n`).join('')}`);
      process.stdout.write(`false allows: ${falseAllow.length}\n${falseAllow.map((l) => `  ${l}\n`).join('')}`);
      assert.deepEqual({ falseDeny, falseAllow }, { falseDeny: [], falseAllow: [] });
    });
  },
);
