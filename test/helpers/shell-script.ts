// Bash scripts that source shell-init, run as real processes, and the build locks their runs hold:
// each script in a process group of its own, so that a failed test can end it and whatever it left.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { after, before } from 'node:test';
import { buildLockName } from '../../src/host/guard/build-lock.js';
import { probeLock } from '../../src/host/guard/lock-probe.js';
import { isAlive, type ProcessRef } from '../../src/host/proc/process-identity.js';
import { CLI, cliSync, removeScratch, scratchHome, teardownHome, testEnv } from './cli.js';

export interface Script {
  child: ChildProcess;
  exited: Promise<number | null>;
  io: () => string;
}

/** Scripts started in `work` with `env`; end() kills what is left of them and of their holders. */
export function shellScripts(work: string, env: NodeJS.ProcessEnv, home: string) {
  const scripts: ChildProcess[] = [];
  const runs: string[] = [];
  return {
    /** Starts `body` after `set -u` and `source <(isoswarm shell-init)`. */
    start(name: string, body: string): Script {
      const init = `source <("${process.execPath}" "${CLI}" shell-init)`;
      writeFileSync(`${work}/${name}`, `#!/bin/bash\nset -u\n${init}\n${body}`, { mode: 0o755 });
      const child = spawn(`${work}/${name}`, [], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      scripts.push(child);
      let io = '';
      child.stdout!.on('data', (d: Buffer) => (io += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (io += d.toString()));
      const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      return { child, exited, io: () => io };
    },
    /** The run id a script wrote as `RUN=<id>` into `out`, remembered for end(). */
    runIdIn(out: string): string | null {
      const id = existsSync(out) ? (/^RUN=(\S+)$/m.exec(readFileSync(out, 'utf8'))?.[1] ?? null) : null;
      if (id && !runs.includes(id)) runs.push(id);
      return id;
    },
    remember(runId: string): void {
      runs.push(runId);
    },
    end(): void {
      for (const s of scripts)
        if (s.pid && s.exitCode === null && s.signalCode === null) process.kill(-s.pid, 'SIGKILL');
      for (const r of runs)
        for (const { holder } of holdersOf(home, r))
          if (isAlive(holder) && readFileSync(`/proc/${holder.pid}/cmdline`, 'utf8').includes('shell-lock-holder'))
            process.kill(holder.pid, 'SIGKILL');
    },
  };
}

/**
 * A suite of script tests (call inside describe): a home whose swarm is up before the tests, a work
 * dir, and after them every script, holder, swarm and scratch dir gone.
 */
export function shellSuite(tag: string) {
  const home = scratchHome(tag);
  const work = realpathSync(mkdtempSync(`/tmp/isoswarm-test-${tag}-work-`));
  const env = testEnv(home);
  const scripts = shellScripts(work, env, home);
  before(() => {
    const up = cliSync(env, ['up'], undefined, 60_000);
    assert.equal(up.code, 0, up.stderr);
  });
  after(() => {
    // A script left running by a failed test goes with its whole group; its holder follows its shell.
    scripts.end();
    teardownHome(home);
    removeScratch(work);
  });
  return { home, work, env, scripts };
}

/** The holders a run's journal names (each a `lock` line). */
export function holdersOf(home: string, runId: string): { tree: string; holder: ProcessRef }[] {
  const file = `${home}/shell-runs/${runId}.jsonl`;
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"kind":"lock"'))
    .map((l) => JSON.parse(l) as { tree: string; holder: ProcessRef });
}

/** Whether either build lock name of `tree` (a real path) is held. */
export async function lockHeld(tree: string): Promise<boolean> {
  for (const role of ['run', 'guardian'] as const) if ((await probeLock(buildLockName(tree, role))).held) return true;
  return false;
}
