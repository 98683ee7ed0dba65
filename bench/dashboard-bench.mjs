// What the live dashboard costs: the coordinator's CPU (it serves the page with `up --dashboard`)
// over the same window with no page open (named baseline) and with one page open in Debian's
// chromium (driven by playwright-core), from /proc/PID/stat utime+stime; plus the page's weight
// (every response but the event stream) and its load time (navigation to the five services drawn).
// Targets: ≤ 1 % of a core with one page open; < ~200 KB; < 1 s.
// Usage: node bench/dashboard-bench.mjs [--seconds 30] [--loads 5]   (after `npm run build`)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { CLI, median } from './lib.mjs';

const CLK_TCK = 100;
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const seconds = Math.max(30, Number(opt('seconds', '30')));
const loads = Math.max(1, Number(opt('loads', '5')));
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (p) => spawnSync('test', ['-x', p]).status === 0,
);
if (!CHROMIUM) {
  console.error('dashboard-bench: chromium is not installed (apt-get install -y chromium)');
  process.exit(4);
}
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** CPU seconds (user + system) of one process so far. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK; // fields 14 and 15: utime, stime
}

async function cpuShare(pid, s) {
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  await sleep(s * 1000);
  return ((cpuSeconds(pid) - c0) / ((performance.now() - t0) / 1000)) * 100;
}

const home = mkdtempSync('/tmp/isoswarm-bench-dashboard-');
const env = { ...process.env, ISOSWARM_HOME: home };
delete env.NATS_URL;
let browser;
try {
  const up = spawnSync(process.execPath, [CLI, 'up', '--json', '--dashboard', '--dashboard-port', '0'], {
    env,
    encoding: 'utf8',
  });
  if (up.status !== 0) throw new Error(`isoswarm up --dashboard failed: ${up.stderr}`);
  const url = JSON.parse(up.stdout).dashboards[0].url;
  const coordinator = JSON.parse(readFileSync(join(home, 'run.json'), 'utf8')).coordinator.pid;
  await sleep(3000); // start-up work (adoption, replay, first polls) settles

  console.log(`dashboard-bench: coordinator pid ${coordinator}, ${url}, ${seconds} s per window`);
  const idle = await cpuShare(coordinator, seconds);

  browser = await chromium.launchPersistentContext(mkdtempSync(join(home, 'profile-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 1100 },
  });
  const times = [];
  let weight = 0;
  let files = [];
  for (let i = 0; i < loads; i++) {
    const page = await browser.newPage();
    const sizes = [];
    page.on('requestfinished', async (req) => {
      if (new URL(req.url()).pathname === '/events') return;
      const s = await req.sizes().catch(() => null);
      if (s) sizes.push({ path: new URL(req.url()).pathname, bytes: s.responseBodySize + s.responseHeadersSize });
    });
    const t0 = performance.now();
    await page.goto(url, { waitUntil: 'load' });
    // Loaded = the five services drawn from the first event (the snapshot).
    while (!(await page.evaluate('document.querySelectorAll("#services tr[data-service]").length >= 5')))
      await sleep(5);
    times.push(performance.now() - t0);
    await sleep(300);
    weight = sizes.reduce((n, s) => n + s.bytes, 0);
    files = sizes;
    if (i < loads - 1) await page.close();
  }
  await sleep(2000);
  const open = await cpuShare(coordinator, seconds);

  const t = median(times);
  console.log('\n## dashboard-bench');
  console.log(`  coordinator CPU, no page open (baseline): ${idle.toFixed(2)} % of a core over ${seconds} s`);
  console.log(
    `  coordinator CPU, one page open:           ${open.toFixed(2)} % of a core over ${seconds} s (ratio ${(open / Math.max(idle, 0.01)).toFixed(2)}x, +${(open - idle).toFixed(2)} points)`,
  );
  console.log(
    `  page weight: ${(weight / 1024).toFixed(1)} KB in ${files.length} responses (${files.map((f) => `${f.path} ${(f.bytes / 1024).toFixed(1)} KB`).join(', ')})`,
  );
  console.log(
    `  load time (navigation to services drawn), median of ${loads}: ${t.toFixed(0)} ms (all: ${times.map((x) => x.toFixed(0)).join(', ')} ms)`,
  );
  const met = [open <= 1, weight < 200 * 1024, t < 1000];
  console.log(`  target ≤ 1 % of a core with one page open: ${met[0] ? 'MET' : 'NOT MET'}`);
  console.log(`  target page < 200 KB: ${met[1] ? 'MET' : 'NOT MET'}`);
  console.log(`  target load < 1 s: ${met[2] ? 'MET' : 'NOT MET'}`);
  process.exitCode = met.every(Boolean) ? 0 : 1;
} finally {
  await browser?.close().catch(() => undefined);
  spawnSync(process.execPath, [CLI, 'down'], { env, stdio: 'ignore' });
  rmSync(home, { recursive: true, force: true });
}
