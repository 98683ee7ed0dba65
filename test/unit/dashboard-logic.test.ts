// The dashboard's pure parts: which bind addresses need a token, how an agent's exit and return are
// shown, what a finished run record adds to the metrics (real prom-client output, parsed back).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkBind, isLoopback } from '../../src/dashboard/access.js';
import { DashboardModel, type ServiceRow } from '../../src/dashboard/model.js';
import { finishedRunOf } from '../../src/dashboard/run-store-watch.js';
import { SwarmMetrics } from '../../src/metrics/registry.js';
import { parseRunRecord } from '../../src/schemas/run-record.js';
import { metricValue } from '../helpers/dashboard.js';

const row = (over: Partial<ServiceRow> = {}): ServiceRow => ({
  name: 'cleaner',
  up: true,
  state: 'running',
  pid: 100,
  host: 'h',
  version: '0',
  startedAt: 1000,
  requests: 0,
  errors: 0,
  restarts: 0,
  lastError: null,
  ...over,
});

describe('dashboard access rules', () => {
  test('loopback addresses are told apart from the rest', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1']) assert.ok(isLoopback(a), a);
    for (const a of ['0.0.0.0', '::', '10.0.0.1', '192.0.2.1', '::ffff:10.0.0.1', '128.0.0.1'])
      assert.ok(!isLoopback(a), a);
  });

  test('a non-loopback bind needs a token of at least 16 characters; names are refused', () => {
    assert.doesNotThrow(() => checkBind('127.0.0.1', undefined));
    assert.throws(() => checkBind('0.0.0.0', undefined), /without a token/);
    assert.throws(() => checkBind('::', ''), /without a token/);
    assert.throws(() => checkBind('0.0.0.0', 'short'), /at least 16/);
    assert.doesNotThrow(() => checkBind('0.0.0.0', 'x'.repeat(16)));
    assert.throws(() => checkBind('example.org', 'x'.repeat(16)), /not an IP address/);
  });
});

describe('dashboard model', () => {
  test('an exited agent stays down until a newer instance answers, then is back with an event', () => {
    const m = new DashboardModel('h', '0');
    const updates: string[] = [];
    m.on('update', (name: string) => updates.push(name));
    m.setServices([row()]);
    m.agentExited('cleaner', 100, null, 'SIGKILL', 5000);
    assert.equal(m.services[0]!.up, false);
    assert.match(m.events.at(-1)!.text, /cleaner \(pid 100\) exited by SIGKILL/);
    // Discovery still carries the dead instance's answer (started before the exit): still down.
    m.setServices([row({ startedAt: 1000 })]);
    assert.equal(m.services[0]!.up, false);
    // The supervisor's new instance answers.
    m.setServices([row({ pid: 200, startedAt: 6000, restarts: 1 })]);
    assert.equal(m.services[0]!.up, true);
    assert.match(m.events.at(-1)!.text, /cleaner is back \(pid 200, restarts 1\)/);
    assert.ok(updates.includes('services') && updates.includes('event'));
  });

  test('runs: the current phase of unfinished runs; finished ones linger, then go', () => {
    const m = new DashboardModel('h', '0');
    const phase = (name: string, endedAt: string | null = null) => ({
      name,
      startedAt: '2026-01-01T00:00:00Z',
      endedAt,
      status: endedAt ? 'ok' : 'running',
    });
    m.runProgress({
      runId: 'a',
      name: 'a',
      host: 'h',
      startedAt: '2026-01-01T00:00:00Z',
      endedAt: null,
      exitCode: null,
      phases: [phase('pre-task', 'x'), phase('build')],
      tuning: null,
    });
    m.runProgress({
      runId: 'b',
      name: 'b',
      host: 'h',
      startedAt: '2026-01-01T00:00:00Z',
      endedAt: '2026-01-01T00:01:00Z',
      exitCode: 0,
      phases: [phase('post-task', 'x')],
      tuning: null,
    });
    assert.deepEqual(m.activePhases(), ['build']);
    assert.equal(m.expireRuns(Date.now()), false);
    assert.equal(m.expireRuns(Date.now() + 61_000), true);
    assert.deepEqual([...m.active.keys()], ['a']);
  });
});

describe('metrics from a finished run record', () => {
  test('duration, phases, teardown, cache and tuner numbers land in base units, without the run id', async () => {
    const parsed = parseRunRecord({
      runId: 'r-1',
      name: 'n',
      command: ['true'],
      chroot: '/srv/x',
      isolate: false,
      startedAt: '2026-01-01T00:00:00.000Z',
      endedAt: '2026-01-01T00:02:30.000Z',
      exitCode: 0,
      signal: null,
      phases: [
        { name: 'build', startedAt: '2026-01-01T00:00:10.000Z', endedAt: '2026-01-01T00:02:10.000Z', status: 'ok' },
        { name: 'post-task', startedAt: '2026-01-01T00:02:10.000Z', endedAt: null, status: 'interrupted' },
      ],
      tuning: {
        applied: {},
        predicted: { timeMs: 12_000, sizeBytes: 1e8 },
        measured: { timeMs: 15_000, sizeBytes: 1.1e8 },
      },
      teardown: { status: 'done', target: '/srv/x', durationMs: 1500 },
      cache: { cache: 'apt-archives', hits: 7, misses: 2, bytesSaved: 7000, bytesDownloaded: 2000 },
      samples: [],
      events: [],
      clean: null,
      patternsUpdated: [],
      notes: [],
    });
    assert.ok(parsed.ok, JSON.stringify(parsed));
    const m = new SwarmMetrics();
    m.runFinished(finishedRunOf(parsed.record));
    const text = await m.text();
    assert.equal(metricValue(text, 'isoswarm_runs_total{outcome="succeeded"}'), 1);
    assert.equal(metricValue(text, 'isoswarm_run_duration_seconds_sum'), 150);
    assert.equal(metricValue(text, 'isoswarm_run_phase_duration_seconds_sum{phase="build"}'), 120);
    assert.equal(
      metricValue(text, 'isoswarm_run_phase_duration_seconds_count{phase="post-task"}'),
      null,
      'an unfinished phase has no duration',
    );
    assert.equal(metricValue(text, 'isoswarm_teardowns_total{outcome="done"}'), 1);
    assert.equal(metricValue(text, 'isoswarm_teardown_duration_seconds_sum'), 1.5);
    assert.equal(metricValue(text, 'isoswarm_cache_hits_total{cache="apt-archives"}'), 7);
    assert.equal(metricValue(text, 'isoswarm_cache_misses_total{cache="apt-archives"}'), 2);
    assert.equal(metricValue(text, 'isoswarm_cache_saved_bytes_total{cache="apt-archives"}'), 7000);
    assert.equal(metricValue(text, 'isoswarm_tuner_squashfs_seconds{source="predicted"}'), 12);
    assert.equal(metricValue(text, 'isoswarm_tuner_squashfs_seconds{source="measured"}'), 15);
    assert.ok(!text.includes('r-1'));
  });

  test('service counters mirror the absolute numbers the services report, and a vanished one is down', async () => {
    const m = new SwarmMetrics();
    m.setServices([{ name: 'cleaner', up: true, restarts: 2, requests: 10, errors: 1, startedAtMs: 5000 }]);
    m.setServices([{ name: 'monitor', up: true, restarts: 0, requests: 3, errors: 0, startedAtMs: 6000 }]);
    const text = await m.text();
    assert.equal(metricValue(text, 'isoswarm_agent_up{service="cleaner"}'), 0);
    assert.equal(metricValue(text, 'isoswarm_agent_restarts_total{service="cleaner"}'), 2);
    assert.equal(metricValue(text, 'isoswarm_agent_requests_total{service="monitor"}'), 3);
    assert.equal(metricValue(text, 'isoswarm_agent_start_time_seconds{service="monitor"}'), 6);
  });
});
