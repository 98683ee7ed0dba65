// /metrics against a real swarm, served by `isoswarm metrics`: Debian's `promtool check metrics`
// passes on a scrape taken while a run is going, and the counters move with the run (hook events,
// requests, finished runs, the run's duration), with no run id anywhere in the labels.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { which } from '../../src/host/exec.js';
import { cli, cliSync, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { httpGet, metricValue, startServe, type ServeProcess } from '../helpers/dashboard.js';

const PROMTOOL = await which('promtool');

function promtoolSkip(): false | string {
  if (PROMTOOL) return false;
  if (process.env.CI === 'true')
    throw new Error('CI=true but promtool is not installed: apt-get install -y --no-install-recommends prometheus');
  return 'promtool is not installed (apt-get install --no-install-recommends prometheus)';
}

function promtoolCheck(text: string): { code: number | null; out: string } {
  const r = spawnSync(PROMTOOL!, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

const scrape = async (url: string): Promise<string> => {
  const r = await httpGet(url);
  assert.equal(r.status, 200, r.body);
  assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return r.body;
};

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('/metrics of a running swarm', { skip: promtoolSkip() }, () => {
  const home = scratchHome('dash-metrics');
  const env = testEnv(home);
  let srv: ServeProcess;
  before(async () => {
    const r = cliSync(env, ['up', '--json'], undefined, 90_000);
    assert.equal(r.code, 0, r.stderr);
    srv = await startServe(env, ['metrics', '--port', '0']);
  });
  after(async () => {
    await srv?.stop();
    teardownHome(home);
  });

  test('promtool passes on a scrape taken during a run, and the counters move', { timeout: 180_000 }, async (t) => {
    const first = await scrape(srv.metrics);
    assert.equal(promtoolCheck(first).code, 0, promtoolCheck(first).out);
    assert.match(first, /^isoswarm_build_info\{version="[^"]+",nodejs="[^"]+"\} 1$/m);
    for (const name of ['coordinator', 'cleaner', 'unmounter', 'performance-tuner', 'monitor']) {
      assert.equal(metricValue(first, `isoswarm_agent_up{service="${name}"}`), 1, `${name} not up in:\n${first}`);
    }
    const requests0 = metricValue(first, 'isoswarm_agent_requests_total{service="coordinator"}') ?? 0;
    const succeeded0 = metricValue(first, 'isoswarm_runs_total{outcome="succeeded"}') ?? 0;

    const run = cli(env, ['run', '--name', 'metrics-test', '--', 'sh', '-c', 'sleep 4'], undefined, 150_000);
    // During the run: the run is active in some phase, and the scrape is valid exposition text.
    const during = await until('a scrape showing the run active', async () => {
      const s = await scrape(srv.metrics);
      return /^isoswarm_runs_active\{phase="[a-z-]+"\} 1$/m.test(s) ? s : null;
    });
    const check = promtoolCheck(during);
    t.diagnostic(`promtool check metrics during the run: exit ${check.code} ${check.out.trim() || '(no findings)'}`);
    assert.equal(check.code, 0, check.out);
    assert.equal(check.out.trim(), '', `promtool findings:\n${check.out}`);

    const r = await run;
    assert.equal(r.code, 0, r.stderr);
    const runId = /run (\S+): exit 0/.exec(r.stderr)?.[1];
    assert.ok(runId, r.stderr);
    const last = await until(
      'the finished run counted',
      async () => {
        const s = await scrape(srv.metrics);
        return (metricValue(s, 'isoswarm_runs_total{outcome="succeeded"}') ?? 0) > succeeded0 ? s : null;
      },
      30_000,
    );
    assert.equal(metricValue(last, 'isoswarm_runs_total{outcome="succeeded"}'), succeeded0 + 1);
    assert.ok(
      (metricValue(last, 'isoswarm_hook_events_total{hook="pre-task"}') ?? 0) >= 1,
      'pre-task hook event not counted',
    );
    assert.ok(
      (metricValue(last, 'isoswarm_hook_events_total{hook="post-task"}') ?? 0) >= 1,
      'post-task hook event not counted',
    );
    assert.ok(
      (metricValue(last, 'isoswarm_agent_requests_total{service="coordinator"}') ?? 0) > requests0,
      'coordinator requests did not move',
    );
    assert.equal(metricValue(last, 'isoswarm_run_duration_seconds_count'), 1);
    const sum = metricValue(last, 'isoswarm_run_duration_seconds_sum')!;
    assert.ok(sum >= 4 && sum < 150, `run duration ${sum} s`);
    assert.equal(metricValue(last, 'isoswarm_run_phase_duration_seconds_count{phase="build"}'), 1);
    assert.ok(!last.includes(runId!), 'a run id appears in the metrics (high-cardinality label)');
    assert.equal(promtoolCheck(last).code, 0, promtoolCheck(last).out);
    t.diagnostic(
      `counters: requests ${requests0} -> ${metricValue(last, 'isoswarm_agent_requests_total{service="coordinator"}')}, runs succeeded ${succeeded0} -> ${succeeded0 + 1}, run ${sum.toFixed(1)} s`,
    );
  });
});
