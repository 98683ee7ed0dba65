// Runs the compiled test suite with node's own test runner: unit, integration, e2e.
// One file at a time: integration tests compare the host's mount table before and after.
// Usage: node test/run-tests.mjs [unit|integration|e2e ...]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const groups = process.argv.slice(2);
const dirs = (groups.length ? groups : ['unit', 'integration', 'e2e'])
  .map((g) => `dist/test/${g}/`)
  .filter((d) => existsSync(d));
if (dirs.length === 0) {
  console.error('no compiled tests under dist/test: run `npm run build` first');
  process.exit(2);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...dirs], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
