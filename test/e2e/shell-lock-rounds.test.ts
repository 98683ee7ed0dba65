// A shell script's run belongs to the shell that opened it. After generate_build_report the next
// init_optimization_system opens a new run, so a script that builds in rounds (a loop under `set -e`)
// locks its tree again in every round; a lock that fails other than by a refusal does not stop it.
// A script started by the script opens a run of its own, and its generate_build_report closes only
// that: the outer script's tree stays locked. A build under `isoswarm run` started by a script uses
// the run it is in, not the script's.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { CLI, cliSync } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';
import { waitFor } from '../helpers/run-watch.js';
import { lockHeld, shellSuite } from '../helpers/shell-script.js';

describe("a shell script's run is its own shell's", { skip: needsRoot() }, () => {
  const { home, work, env, scripts } = shellSuite('shell-lock-rounds');
  const ids = (out: string, key: string): string[] =>
    existsSync(out)
      ? [...readFileSync(out, 'utf8').matchAll(new RegExp(`^${key}=(\\S+)$`, 'gm'))].map((m) => m[1]!)
      : [];

  test('two rounds in one set -e script: each round opens a run and locks its tree again', async () => {
    const tree = `${work}/tree`;
    mkdirSync(`${tree}/etc`, { recursive: true });
    writeFileSync(`${tree}/etc/a.conf`, 'a = 1\n');
    const [ready, go, out] = [`${work}/r-ready`, `${work}/r-go`, `${work}/r-out`];
    const s = scripts.start(
      'rounds.sh',
      `set -e
for round in 1 2; do
  init_optimization_system
  echo "RUN=$ISOSWARM_RUN_ID" >> "${out}"
  optimize_performance --target "${tree}"
  echo "tuned $round" >> "${out}"
  if [ "$round" = 2 ]; then touch "${ready}"; while [ ! -e "${go}" ]; do sleep 0.2; done; fi
  generate_build_report > /dev/null
  echo "report $round \${ISOSWARM_RUN_ID:-none}" >> "${out}"
done
`,
    );
    try {
      await waitFor('round 2 to be building', () => existsSync(ready) || s.child.exitCode !== null, 300_000);
      const runs = ids(out, 'RUN');
      for (const r of runs) scripts.remember(r);
      assert.equal(runs.length, 2, `${s.io()}${existsSync(out) ? readFileSync(out, 'utf8') : ''}`);
      assert.notEqual(runs[0], runs[1], 'round 2 opened a new run');
      const cu = cliSync(env, ['cleanup', '--force', tree], undefined, 120_000);
      assert.equal(cu.code, 3, `cleanup of the tree in round 2: ${cu.stdout}${cu.stderr}`);
      assert.match(cu.stdout + cu.stderr, new RegExp(`in use by a build: run ${runs[1]} \\(`));
      writeFileSync(go, '');
      assert.equal(await s.exited, 0, s.io());
      assert.equal(
        readFileSync(out, 'utf8').replace(/^RUN=.*\n/gm, ''),
        'tuned 1\nreport 1 none\ntuned 2\nreport 2 none\n',
        s.io(),
      );
      for (const r of runs) {
        const rec = JSON.parse(readFileSync(`${home}/runs/${r}.json`, 'utf8')) as { endedAt: string | null };
        assert.ok(rec.endedAt, `run ${r} is closed`);
      }
      assert.equal(await lockHeld(tree), false, 'the lock is gone after the last report');
    } finally {
      writeFileSync(go, '');
    }
  });

  test('a lock that fails other than by a refusal is told, and the script goes on', async () => {
    const out = `${work}/w-out`;
    // The run closed behind the script's back: `shell-run lock` exits 2, not 3 (refused).
    const s = scripts.start(
      'closed.sh',
      `set -e
init_optimization_system
echo "RUN=$ISOSWARM_RUN_ID" >> "${out}"
isoswarm shell-run close "$ISOSWARM_SHELL_RUN" > /dev/null
init_optimization_system --chroot "${work}/w-tree"
echo "init 0" >> "${out}"
`,
    );
    assert.equal(await s.exited, 0, s.io());
    for (const r of ids(out, 'RUN')) scripts.remember(r);
    assert.match(readFileSync(out, 'utf8'), /^init 0$/m, s.io());
    assert.match(s.io(), /isoswarm: \S+\/w-tree is not locked \(shell-run lock exit 2\)/);
    assert.equal(await lockHeld(`${work}/w-tree`), false);
  });

  test("an inner script's report closes its own run, not the outer script's; a build under isoswarm run uses that run", async () => {
    const [a, b, z] = [`${work}/outer-tree`, `${work}/inner-tree`, `${work}/run-tree`];
    const [ready, go, out] = [`${work}/n-ready`, `${work}/n-go`, `${work}/n-out`];
    const init = `source <("${process.execPath}" "${CLI}" shell-init)`;
    writeFileSync(
      `${work}/inner.sh`,
      `#!/bin/bash
set -eu
${init}
init_optimization_system --chroot "${b}"
echo "INNER=$ISOSWARM_RUN_ID" >> "${out}"
generate_build_report > /dev/null
`,
      { mode: 0o755 },
    );
    // Under `isoswarm run` (no --chroot): the script's tree is the run's business, its cleanup its own.
    writeFileSync(
      `${work}/in-run.sh`,
      `#!/bin/bash
set -u
${init}
init_optimization_system --chroot "${z}"; echo "in-run init $?" >> "${out}"
mkdir -p "${z}/etc" && echo x > "${z}/etc/x"
optimize_cleanup --force "${z}"; echo "in-run cleanup $?" >> "${out}"
`,
      { mode: 0o755 },
    );
    const s = scripts.start(
      'outer.sh',
      `set -e
init_optimization_system --chroot "${a}"
echo "RUN=$ISOSWARM_RUN_ID" >> "${out}"
mkdir -p "${a}/etc" && echo keep > "${a}/etc/keep"
"${work}/inner.sh"; echo "inner $?" >> "${out}"
isoswarm run --no-tune -- "${work}/in-run.sh"; echo "run $?" >> "${out}"
touch "${ready}"
while [ ! -e "${go}" ]; do sleep 0.2; done
generate_build_report > /dev/null; echo "report $?" >> "${out}"
`,
    );
    try {
      await waitFor('the outer script to be building', () => existsSync(ready) || s.child.exitCode !== null, 300_000);
      const [outer] = ids(out, 'RUN');
      const [inner] = ids(out, 'INNER');
      for (const r of [outer, inner]) if (r) scripts.remember(r);
      const text = () => `${s.io()}${existsSync(out) ? readFileSync(out, 'utf8') : ''}`;
      assert.ok(outer && inner && existsSync(ready), text());
      assert.notEqual(inner, outer, 'the inner script opened a run of its own');
      assert.match(readFileSync(out, 'utf8'), /^inner 0$/m, text());
      assert.match(readFileSync(out, 'utf8'), /^in-run init 0\nin-run cleanup 0\nrun 0$/m, text());
      assert.equal(existsSync(z), false, 'the build under isoswarm run cleaned its own tree');
      const cu = cliSync(env, ['cleanup', '--force', a], undefined, 120_000);
      assert.equal(cu.code, 3, `the outer tree after the inner report: ${cu.stdout}${cu.stderr}`);
      assert.match(cu.stdout + cu.stderr, new RegExp(`in use by a build: run ${outer} \\(`));
      assert.equal(readFileSync(`${a}/etc/keep`, 'utf8'), 'keep\n', 'the outer tree is intact');
      assert.equal(await lockHeld(b), false, "the inner script's tree was let go by its report");
      const innerRec = JSON.parse(readFileSync(`${home}/runs/${inner}.json`, 'utf8')) as { endedAt: string | null };
      assert.ok(innerRec.endedAt, 'the inner run is closed');
      writeFileSync(go, '');
      assert.equal(await s.exited, 0, s.io());
      assert.match(readFileSync(out, 'utf8'), /^report 0$/m);
      assert.equal(await lockHeld(a), false, "the outer tree is let go by the outer script's report");
    } finally {
      writeFileSync(go, '');
    }
  });
});
