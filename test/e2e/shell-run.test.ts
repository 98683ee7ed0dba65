// A script that uses the shell functions gets its own run: init_optimization_system opens it and
// exports its id, every function's call is a step (with its exit code), the mksquashfs shim's call
// attaches to it, and generate_build_report reports that run, not the newest one (another script
// opens a newer run in between).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CLI, cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';

interface Phase {
  name: string;
  status: string;
  error?: string;
}

describe('shell scripts get runs', () => {
  const home = scratchHome('shell-run');
  const work = mkdtempSync('/tmp/isoswarm-test-shell-run-');
  after(() => {
    teardownHome(home);
    removeScratch(work);
  });

  test("generate_build_report reports the script's own run, with its steps and its mksquashfs call", () => {
    const tree = join(work, 'tree');
    mkdirSync(join(tree, 'doc'), { recursive: true });
    for (let i = 0; i < 200; i++)
      writeFileSync(join(tree, 'doc', `page${i}.txt`), `page ${i}: ${'words and more words '.repeat(60)}\n`);
    const init = `source <("${process.execPath}" "${CLI}" shell-init)`;
    writeFileSync(
      join(work, 'other.sh'),
      `#!/bin/bash\nset -eu\n${init}\ninit_optimization_system\necho "OTHER=$ISOSWARM_RUN_ID"\n`,
      { mode: 0o755 },
    );
    writeFileSync(
      join(work, 'build.sh'),
      `#!/bin/bash
set -u
${init}
init_optimization_system
echo "RUN=$ISOSWARM_RUN_ID"
optimize_performance --target "${tree}"
optimize_unmount "${work}/not-there" && echo "unexpected: unmount of a missing dir succeeded"
mksquashfs "${tree}" "${work}/out.img" -noappend -comp gzip
# Another script opens a newer run meanwhile: "latest" would be that one.
env -u ISOSWARM_RUN_ID -u ISOSWARM_SHELL_RUN "${work}/other.sh"
echo "REPORT=$(generate_build_report)"
`,
      { mode: 0o755 },
    );
    const r = spawnSync(join(work, 'build.sh'), [], { env: testEnv(home), encoding: 'utf8', timeout: 600_000 });
    assert.equal(r.status, 0, r.stderr);
    const runId = /^RUN=(\S+)$/m.exec(r.stdout)?.[1];
    const other = /^OTHER=(\S+)$/m.exec(r.stdout)?.[1];
    const report = /^REPORT=(.*)$/m.exec(r.stdout)?.[1];
    assert.ok(runId && other && report, r.stdout + r.stderr);
    assert.notEqual(runId, other);
    assert.match(runId, /^build\.sh-/, 'named after the script');
    assert.ok(report.includes(runId), `the report is this run's: ${report}`);
    assert.ok(!r.stdout.includes('unexpected'), r.stdout);

    const rec = JSON.parse(readFileSync(join(home, 'runs', `${runId}.json`), 'utf8')) as {
      phases: Phase[];
      endedAt: string | null;
      exitCode: number | null;
      squashfsCalls?: { asked: string[]; measured: { exitCode: number } | null }[];
    };
    assert.deepEqual(
      rec.phases.map((p) => `${p.name}:${p.status}`),
      ['init_optimization_system:ok', 'optimize_performance:ok', 'optimize_unmount:failed'],
    );
    assert.match(rec.phases[2]?.error ?? '', /^exit code [1-9]/);
    assert.ok(rec.endedAt, 'closed by generate_build_report');
    assert.notEqual(rec.exitCode, 0, 'a failed step makes the run fail');
    assert.equal(rec.squashfsCalls?.length, 1, "the shim's call is in this run");
    assert.ok(rec.squashfsCalls?.[0]?.asked.includes('gzip'));
    assert.equal(rec.squashfsCalls?.[0]?.measured?.exitCode, 0);
    const html = readFileSync(report, 'utf8');
    assert.ok(html.includes('optimize_unmount'), 'the HTML report shows the steps');

    // The other script's run is a separate record, still open (it never called generate_build_report).
    const otherRec = JSON.parse(readFileSync(join(home, 'runs', `${other}.json`), 'utf8')) as {
      phases: Phase[];
      endedAt: string | null;
    };
    assert.deepEqual(
      otherRec.phases.map((p) => p.name),
      ['init_optimization_system'],
    );
    assert.equal(otherRec.endedAt, null);
  });

  test('shell-run refuses an unknown run and a bad exit code with a usage error', () => {
    const a = cliSync(testEnv(home), ['shell-run', 'step', 'no-such-run', 'x', '--started-ms', '1', '--exit', '0']);
    assert.equal(a.code, 2, a.stderr);
    assert.match(a.stderr, /no shell run "no-such-run"/);
    const b = cliSync(testEnv(home), ['shell-run', 'step', 'no-such-run', 'x', '--started-ms', '1', '--exit', 'z']);
    assert.equal(b.code, 2, b.stderr);
    assert.match(b.stderr, /--exit must be a non-negative integer/);
  });
});
