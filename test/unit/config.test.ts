// Config layering and errors that name the field and its source.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/load.js';

test("defaults load and the request's environment variables override them", () => {
  const c = loadConfig({
    env: {
      OPTIMIZATION_ENABLED: 'false',
      PARALLEL_JOBS: '6',
      CLEANUP_AUTO_TRIGGER: 'no',
      PERFORMANCE_MONITORING: '1',
      NATS_URL: 'nats://10.0.0.1:4222',
    },
  });
  assert.equal(c.optimizationEnabled, false);
  assert.equal(c.parallelJobs, 6);
  assert.equal(c.cleanupAutoTrigger, false);
  assert.equal(c.performanceMonitoring, true);
  assert.equal(c.nats.url, 'nats://10.0.0.1:4222');
  assert.equal(loadConfig({ env: {} }).parallelJobs, 'auto');
});

test('a bad environment value names the field and the variable', () => {
  assert.throws(
    () => loadConfig({ env: { PARALLEL_JOBS: 'many' } }),
    (e: unknown) => e instanceof ConfigError && /parallelJobs/.test(e.message) && /env PARALLEL_JOBS/.test(e.message),
  );
  assert.throws(() => loadConfig({ env: { CLEANUP_AUTO_TRIGGER: 'maybe' } }), /env CLEANUP_AUTO_TRIGGER/);
});

test('a config file merges over the defaults; its bad values name the file', () => {
  const dir = mkdtempSync('/tmp/isoswarm-test-config-');
  try {
    const f = `${dir}/c.json`;
    writeFileSync(f, JSON.stringify({ monitor: { thresholds: { diskPct: 70 } } }));
    const c = loadConfig({ file: f, env: {} });
    assert.equal(c.monitor.thresholds.diskPct, 70);
    assert.equal(c.monitor.thresholds.memPct, 90, 'siblings keep their defaults');
    writeFileSync(f, JSON.stringify({ monitor: { thresholds: { diskPct: 170 } } }));
    assert.throws(
      () => loadConfig({ file: f, env: {} }),
      (e: unknown) =>
        e instanceof ConfigError && e.field === 'monitor.thresholds.diskPct' && e.source === `--config ${f}`,
    );
    writeFileSync(f, '{ nope');
    assert.throws(() => loadConfig({ file: f, env: {} }), /invalid JSON/);
    assert.throws(
      () => loadConfig({ env: { ISOSWARM_CONFIG: `${dir}/missing.json` } }),
      /ISOSWARM_CONFIG=.*cannot read/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
