// `isoswarm report` as a real process against a scratch state dir: run selection, formats, --out,
// --list, and the exit codes for bad input. The command is registered on its own commander program
// with the same error mapping as src/cli/main.ts, so this runs before it is wired into main.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { bareRecord, realisticRecord } from '../helpers/report-fixture.js';

const require = createRequire(import.meta.url);
const url = (rel: string): string => new URL(rel, import.meta.url).href;
const DRIVER = `
const { Command, CommanderError } = await import(${JSON.stringify(pathToFileURL(require.resolve('commander')).href)});
const { registerReport } = await import(${JSON.stringify(url('../../src/cli/commands/report.js'))});
const { CliError } = await import(${JSON.stringify(url('../../src/cli/exit-codes.js'))});
const program = new Command('isoswarm').exitOverride();
registerReport(program, () => ({}));
try {
  await program.parseAsync(JSON.parse(process.env.REPORT_ARGS), { from: 'user' });
} catch (e) {
  if (e instanceof CommanderError) process.exitCode = e.exitCode === 0 ? 0 : 2;
  else if (e instanceof CliError) { process.stderr.write('isoswarm: ' + e.message + '\\n'); process.exitCode = e.exitCode; }
  else { process.stderr.write(String(e && e.stack || e) + '\\n'); process.exitCode = 1; }
}
`;

describe('isoswarm report', () => {
  let home = '';
  const run = (...args: string[]) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ISOSWARM_HOME: home,
      REPORT_ARGS: JSON.stringify(['report', ...args]),
    };
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', DRIVER], {
      env,
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const runs = (): string => join(home, 'runs');
  const big = realisticRecord();
  const small = bareRecord();

  before(() => {
    home = mkdtempSync('/tmp/isoswarm-test-report-cli-');
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  test('with no runs: a clear message, exit 1 for a report, exit 0 for the list', () => {
    const r = run();
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /no runs recorded yet in .*\/runs: run a build with `isoswarm run -- CMD`/);
    const l = run('--list');
    assert.equal(l.code, 0, l.stderr);
    assert.match(l.stdout, /no runs recorded yet/);
  });

  test('--list shows each run with name, start, exit and duration; JSON on request', () => {
    mkdirSync(runs(), { recursive: true });
    writeFileSync(join(runs(), `${big.runId}.json`), JSON.stringify(big));
    writeFileSync(join(runs(), `${small.runId}.json`), JSON.stringify(small));
    utimesSync(join(runs(), `${big.runId}.json`), new Date(1_000_000), new Date(1_000_000));
    const l = run('--list');
    assert.equal(l.code, 0, l.stderr);
    const lines = l.stdout.trim().split('\n');
    assert.match(lines[0]!, /^RUN\s+NAME\s+STARTED\s+EXIT\s+DURATION$/);
    assert.match(
      lines[1]!,
      /^20250301-130207-debian-live\s+debian-live bookworm amd64\s+2025-03-01T13:02:07.000Z\s+137 SIGKILL\s+5 min 0 s$/,
    );
    assert.match(lines[2]!, /^bare-1\s+bare\s+2025-03-01T13:02:07.000Z\s+0\s+400 ms$/);
    const j = run('--list', '--format', 'json');
    assert.equal(j.code, 0, j.stderr);
    const rows = JSON.parse(j.stdout) as {
      runId: string;
      durationMs: number;
      exitCode: number;
      signal: string | null;
    }[];
    assert.deepEqual(
      rows.map((x) => [x.runId, x.durationMs, x.exitCode, x.signal]),
      [
        [big.runId, 300_000, 137, 'SIGKILL'],
        [small.runId, 400, 0, null],
      ],
    );
  });

  test('default: the newest run as HTML next to its record, the path printed', () => {
    const r = run();
    assert.equal(r.code, 0, r.stderr);
    const file = join(runs(), `${small.runId}.html`);
    assert.equal(r.stdout, `${file}\n`);
    assert.match(readFileSync(file, 'utf8'), /^<!doctype html>\n<html lang="en">/);
  });

  test('a run by id as Markdown or JSON on stdout; HTML to --out or to stdout with --out -', () => {
    const md = run(big.runId, '--format', 'md');
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /^# isoswarm run: debian-live bookworm amd64\n/);
    const js = run(big.runId, '--format', 'json');
    assert.equal(js.code, 0, js.stderr);
    assert.deepEqual(JSON.parse(js.stdout), JSON.parse(JSON.stringify(big)));
    const out = join(home, 'out', 'report.html');
    mkdirSync(join(home, 'out'));
    const h = run(big.runId, '--out', out);
    assert.equal(h.code, 0, h.stderr);
    assert.equal(h.stdout, `${out}\n`);
    assert.match(
      readFileSync(out, 'utf8'),
      /<title>debian-live bookworm amd64 · Killed by SIGKILL · isoswarm<\/title>/,
    );
    assert.ok(!existsSync(join(runs(), `${big.runId}.html`)), 'with --out nothing is written next to the record');
    const s = run('latest', '--out', '-');
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /^<!doctype html>/);
  });

  test('bad input: exit 2 for a bad format or id, exit 1 for an unknown or broken run', () => {
    const f = run('--format', 'pdf');
    assert.equal(f.code, 2);
    assert.match(f.stderr, /unknown format "pdf": use html, md, json/);
    const u = run('20240101-nope');
    assert.equal(u.code, 1);
    assert.match(u.stderr, /unknown run "20240101-nope"; known runs:\n {2}20250301-130207-debian-live\n {2}bare-1\n/);
    const b = run('../../etc/passwd');
    assert.equal(b.code, 2);
    assert.match(b.stderr, /"..\/..\/etc\/passwd" is not a valid run id/);
    writeFileSync(join(runs(), 'broken.json'), '{"runId": "broken", "samples": 3}');
    const x = run('broken');
    assert.equal(x.code, 1);
    assert.match(x.stderr, /run record .*broken\.json is invalid at name: /);
    const l = run('--list');
    assert.match(l.stdout, /\nbroken\s+\(unreadable\)/);
    // The newest file is broken: `latest` passes over it, says so, and reports the newest readable run.
    const latest = run('--format', 'md');
    assert.equal(latest.code, 0, latest.stderr);
    assert.match(latest.stderr, /^isoswarm: passed over run record .*broken\.json is invalid at name: /);
    assert.match(latest.stdout, /^# isoswarm run: bare\n/);
    const both = run('bare-1', '--list');
    assert.equal(both.code, 2);
    const nowhere = run(big.runId, '--out', join(home, 'missing-dir', 'x.html'));
    assert.equal(nowhere.code, 1);
    assert.match(nowhere.stderr, /cannot write .*missing-dir\/x\.html: ENOENT/);
  });
});
