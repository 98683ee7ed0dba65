import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DEFAULT_THRESHOLDS,
  Thresholds,
  evaluate,
  readingsOf,
  type Reading,
  type ThresholdConfig,
  type ThresholdEvent,
} from '../../agents/monitor/thresholds.js';

const disk = (value: number): Reading[] => [{ metric: 'disk', subject: '/build', value }];
const cfg: ThresholdConfig = { ...DEFAULT_THRESHOLDS, minAlertIntervalMs: 60_000 };

/** Feeds values one second apart; returns every event. */
function run(t: Thresholds, values: number[], start = 0, readings = disk): ThresholdEvent[] {
  return values.flatMap((v, i) => t.update(readings(v), start + i * 1000));
}

test("defaults are the request's: disk 85 %, emergency 95 %, memory 90 %, temp 10 GiB", () => {
  assert.equal(DEFAULT_THRESHOLDS.diskPct, 85);
  assert.equal(DEFAULT_THRESHOLDS.diskEmergencyPct, 95);
  assert.equal(DEFAULT_THRESHOLDS.memPct, 90);
  assert.equal(DEFAULT_THRESHOLDS.tempBytes, 10 * 1024 ** 3);
});

test('crossing the threshold gives exactly one alert; hovering around it gives none', () => {
  const t = new Thresholds(cfg);
  const events = run(t, [50, 80, 84.9, 85, 85.1, 84, 86, 83, 87, 85.5, 81, 80, 84.99, 86.5, 82]);
  assert.equal(events.length, 1);
  assert.deepEqual(events[0], {
    kind: 'alert',
    metric: 'disk',
    subject: '/build',
    level: 'warning',
    state: 'warning',
    value: 85.1,
    threshold: 85,
    at: 4000,
  });
});

test('recovery only below threshold minus the margin, then the next crossing alerts again', () => {
  const t = new Thresholds({ ...cfg, minAlertIntervalMs: 0 });
  const events = run(t, [90, 81, 80, 79.9, 79, 84, 86]);
  assert.deepEqual(
    events.map((e) => [e.kind, e.level, e.state, e.value]),
    [
      ['alert', 'warning', 'warning', 90],
      ['recovery', 'warning', 'ok', 79.9],
      ['alert', 'warning', 'warning', 86],
    ],
  );
});

test('emergency: direct jump, escalation, and clearing to warning then ok', () => {
  const direct = run(new Thresholds(cfg), [40, 96]);
  assert.deepEqual(
    direct.map((e) => [e.kind, e.level, e.threshold]),
    [['alert', 'emergency', 95]],
  );

  const t = new Thresholds(cfg);
  const events = run(t, [86, 90, 95.5, 94, 91, 96, 89.9, 88, 81, 79]);
  assert.deepEqual(
    events.map((e) => [e.kind, e.level, e.state, e.value]),
    [
      ['alert', 'warning', 'warning', 86],
      ['alert', 'emergency', 'emergency', 95.5],
      ['recovery', 'emergency', 'warning', 89.9],
      ['recovery', 'warning', 'ok', 79],
    ],
  );
  // A fall from emergency straight below the warning's clear point is one transition, one event.
  const drop = run(new Thresholds(cfg), [97, 10]);
  assert.deepEqual(
    drop.map((e) => [e.kind, e.level, e.state]),
    [
      ['alert', 'emergency', 'emergency'],
      ['recovery', 'emergency', 'ok'],
    ],
  );
});

test('minimum interval: a re-crossing soon after an alert waits, and alerts once if it persists', () => {
  const t = new Thresholds({ ...cfg, minAlertIntervalMs: 10_000 });
  assert.equal(t.update(disk(90), 0).length, 1);
  assert.equal(t.update(disk(70), 1000)[0]?.kind, 'recovery');
  assert.deepEqual(t.update(disk(90), 2000), []);
  assert.deepEqual(t.update(disk(91), 9999), []);
  const late = t.update(disk(92), 10_000);
  assert.deepEqual(
    late.map((e) => [e.kind, e.level, e.value]),
    [['alert', 'warning', 92]],
  );
  // The interval is per level: an escalation is not held back by the recent warning.
  assert.deepEqual(
    t.update(disk(99), 10_500).map((e) => e.level),
    ['emergency'],
  );
});

test('memory has no emergency level; temp uses a margin of hysteresisPct of its threshold', () => {
  const mem = run(new Thresholds(cfg), [91, 100, 86, 84.9], 0, (v) => [
    { metric: 'memory', subject: 'memory', value: v },
  ]);
  assert.deepEqual(
    mem.map((e) => [e.kind, e.level, e.value]),
    [
      ['alert', 'warning', 91],
      ['recovery', 'warning', 84.9],
    ],
  );

  const GiB = 1024 ** 3;
  const temp = (v: number): Reading[] => [{ metric: 'temp', subject: '/tmp', value: v }];
  const events = run(new Thresholds(cfg), [10.1 * GiB, 9.6 * GiB, 10.4 * GiB, 9.4 * GiB], 0, temp);
  assert.deepEqual(
    events.map((e) => [e.kind, e.value / GiB]),
    [
      ['alert', 10.1],
      ['recovery', 9.4],
    ],
  );
});

test('subjects are independent; non-finite values are ignored; evaluate does not mutate its input', () => {
  const prev = {};
  const r = evaluate(
    prev,
    [
      { metric: 'disk', subject: '/a', value: 90 },
      { metric: 'disk', subject: '/b', value: 50 },
      { metric: 'disk', subject: '/c', value: NaN },
    ],
    cfg,
    5,
  );
  assert.deepEqual(prev, {});
  assert.deepEqual(
    r.events.map((e) => e.subject),
    ['/a'],
  );
  const again = evaluate(r.state, [{ metric: 'disk', subject: '/b', value: 90 }], cfg, 6);
  assert.deepEqual(
    again.events.map((e) => e.subject),
    ['/b'],
  );
  assert.equal(r.state['disk:/a']?.state, 'warning');
});

test('readingsOf maps a sample to memory, every disk and temp', () => {
  const rs = readingsOf({
    memPct: 42,
    disks: [
      { path: '/', usedPct: 20 },
      { path: '/srv', usedPct: 86 },
    ],
    temp: { path: '/tmp', bytes: 123 },
  });
  assert.deepEqual(rs, [
    { metric: 'memory', subject: 'memory', value: 42 },
    { metric: 'disk', subject: '/', value: 20 },
    { metric: 'disk', subject: '/srv', value: 86 },
    { metric: 'temp', subject: '/tmp', value: 123 },
  ]);
});

test('property: values that never fall below the clear point give at most one alert per level, no recovery', () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: 80.0001, max: 100, noNaN: true }), { maxLength: 200 }), (values) => {
      const events = run(new Thresholds({ ...cfg, minAlertIntervalMs: 0 }), values);
      const warnings = events.filter((e) => e.kind === 'alert' && e.level === 'warning').length;
      const emergencies = events.filter((e) => e.kind === 'alert' && e.level === 'emergency').length;
      assert.ok(warnings <= 1, `warnings ${warnings}`);
      // Emergency may clear to warning (below 90) and come back, but never more often than it clears.
      const cleared = events.filter((e) => e.kind === 'recovery' && e.level === 'emergency').length;
      assert.ok(emergencies <= cleared + 1);
      assert.ok(!events.some((e) => e.kind === 'recovery' && e.state === 'ok'));
    }),
  );
});

test('property: a value crossing the threshold and staying within the margin band alerts exactly once', () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: 80.0001, max: 94.99, noNaN: true }), { minLength: 1, maxLength: 200 }),
      (values) => {
        const events = run(new Thresholds(cfg), [86, ...values]);
        assert.equal(events.length, 1);
      },
    ),
  );
});
