// Over 250 lines on purpose: one browser session against one swarm walks through every panel.
// The live dashboard in a real browser (playwright-core driving Debian's chromium) against a real
// swarm started with `up --dashboard`: the five services, a chart gaining points, a run's phase
// changing and its build output shown while it runs, its stages shaded on the charts, an agent killed with SIGKILL marked down and
// then back, and a screenshot that is not blank.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { which } from '../../src/host/exec.js';
import { CLI, cli, cliSync, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { startServe } from '../helpers/dashboard.js';
import { decodePng, distinctColours, findColour, hexRgb } from '../helpers/png.js';

const CHROMIUM = (await which('chromium')) ?? (await which('chromium-browser'));
const SERVICES = ['cleaner', 'coordinator', 'monitor', 'performance-tuner', 'unmounter'];

function chromiumSkip(): false | string {
  if (CHROMIUM) return false;
  if (process.env.CI === 'true') throw new Error('CI=true but chromium is not installed: apt-get install -y chromium');
  return 'chromium is not installed (apt-get install -y chromium)';
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

// Page-side code is passed as strings: this project compiles without the DOM's types.
const ROW = (name: string) => `document.querySelector('#services tr[data-service="${name}"]')`;

/**
 * Polls a page expression until it is truthy. (Playwright's waitForFunction with a string compiles
 * it inside the page, which the dashboard's CSP forbids: no 'unsafe-eval'.)
 */
async function waitFor(page: Page, expr: string, timeoutMs: number, everyMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await page.evaluate(expr))) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${expr}`);
    await page.waitForTimeout(everyMs);
  }
}

/** A service row's state as the page shows it. */
const row = (page: Page, name: string) =>
  page.evaluate(
    `(() => { const r = ${ROW(name)}; return r ? { up: r.dataset.up === '1', pid: Number(r.dataset.pid) || null, state: r.dataset.state } : null; })()`,
  ) as Promise<{ up: boolean; pid: number | null; state: string } | null>;

describe('the live dashboard in headless Chromium', { skip: chromiumSkip() }, () => {
  const home = scratchHome('dash-chromium');
  const env = testEnv(home);
  let url = '';
  let browser: BrowserContext | undefined;
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    const r = cliSync(env, ['up', '--json', '--dashboard', '--dashboard-port', '0'], undefined, 90_000);
    assert.equal(r.code, 0, r.stderr);
    url = (JSON.parse(r.stdout) as { dashboards: { url: string }[] }).dashboards[0]!.url;
    browser = await chromium.launchPersistentContext(mkdtempSync(join(home, 'profile-')), {
      executablePath: CHROMIUM!,
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 1400 },
      timeout: 60_000,
    });
    page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    // The page asks nothing of any other origin.
    page.on('request', (req) => {
      if (!req.url().startsWith(url) && !req.url().startsWith('data:')) errors.push(`request to ${req.url()}`);
    });
    await page.goto(url, { timeout: 30_000 });
  });
  after(async () => {
    await browser?.close().catch(() => undefined);
    teardownHome(home);
  });

  test('sees the five services up, each with a PID', { timeout: 60_000 }, async () => {
    await waitFor(
      page,
      `document.querySelectorAll('#services tr[data-service][data-up="1"]').length === ${SERVICES.length}`,
      30_000,
    );
    const names = (
      (await page.evaluate(
        `[...document.querySelectorAll('#services tr[data-service]')].map((r) => r.dataset.service)`,
      )) as string[]
    ).sort();
    assert.deepEqual(names, SERVICES);
    for (const n of SERVICES) assert.ok((await row(page, n))?.pid, `${n} has no PID on the page`);
    assert.equal(await page.locator('#conn').getAttribute('data-state'), 'live');
  });

  test('a chart gains points as the Monitor samples', { timeout: 60_000 }, async () => {
    const points = async () => Number(await page.getAttribute('#chart-cpu', 'data-points'));
    const before = await points();
    await waitFor(page, `Number(document.getElementById('chart-cpu').dataset.points) >= ${before + 3}`, 30_000);
    assert.ok((await points()) >= before + 3);
    // uPlot drew into its canvas.
    assert.ok(await page.$('#chart-cpu canvas'));
  });

  test('a run appears and its phase changes until it is done', { timeout: 180_000 }, async (t) => {
    // The build prints a distinctive line, with markup that must be shown as text, never parsed.
    const marker = `dash-e2e-output-${process.pid}`;
    const run = cli(
      env,
      [
        'run',
        '--name',
        'dash-e2e',
        '--',
        'sh',
        '-c',
        `echo "${marker} <i id=injected>x</i>"; echo "to stderr" >&2; sleep 4`,
      ],
      undefined,
      150_000,
    );
    // Every phase the page shows, recorded as it changes; and the phase in which the marker line showed.
    const seen: string[] = [];
    let markerIn: string | null = null;
    const record = async () => {
      const p = (await page.evaluate(`document.querySelector('.run[data-run^="dash-e2e"]')?.dataset.phase ?? null`)) as
        string | null;
      if (p && seen.at(-1) !== p) seen.push(p);
      if (markerIn === null && p) {
        const shown = (await page.evaluate(
          `document.querySelector('.log[data-log-run^="dash-e2e"] pre')?.textContent ?? ''`,
        )) as string;
        const active = await page.evaluate(
          `document.querySelector('.run[data-run^="dash-e2e"]')?.dataset.ended === '0'`,
        );
        if (shown.includes(`${marker} <i id=injected>x</i>`) && active) markerIn = p;
      }
    };
    let finished = false;
    void run.then(() => (finished = true));
    let finishedAt = 0;
    while (seen.at(-1) !== 'done') {
      await record();
      if (finished && !finishedAt) finishedAt = Date.now();
      if (finishedAt && Date.now() - finishedAt > 10_000) break;
      await page.waitForTimeout(50);
    }
    const done = await run;
    assert.equal(done.code, 0, done.stderr);
    assert.ok(seen.includes('build'), `the build phase was never shown: ${seen.join(' -> ')}`);
    assert.equal(seen.at(-1), 'done', `phases seen: ${seen.join(' -> ')}`);
    assert.ok(seen.length >= 2, `the phase never changed: ${seen.join(' -> ')}`);
    t.diagnostic(`phases shown: ${seen.join(' -> ')}`);
    assert.ok(markerIn, 'the build output line was never shown while the run was active');
    t.diagnostic(`build output shown during phase ${markerIn}`);
    assert.equal(await page.evaluate(`document.getElementById('injected')`), null, 'build output was parsed as HTML');
    await waitFor(
      page,
      `[...document.querySelectorAll('.log[data-log-run^="dash-e2e"] pre .err')].some((e) => e.textContent.includes('to stderr'))`,
      15_000,
    );
    // The finished run is listed with a link to its report, which is served.
    const link = page.locator('#past a', { hasText: 'dash-e2e' }).first();
    await link.waitFor({ timeout: 30_000 });
    const href = await link.getAttribute('href');
    const report = await page.request.get(new URL(href!, url).href);
    assert.equal(report.status(), 200);
  });

  test('a run’s stages (its phase calls) are shaded on the charts as they start', { timeout: 180_000 }, async () => {
    const phase = (n: string) =>
      `"${process.execPath}" "${CLI}" hooks notification --phase ${n} --level info >/dev/null`;
    const run = cli(
      env,
      ['run', '--name', 'dash-stages', '--', 'sh', '-c', `${phase('fetch')}; sleep 4; ${phase('pack')}; sleep 6`],
      undefined,
      150_000,
    );
    try {
      // The CPU chart's bands name the build's stages in place of its build phase, as the report's do.
      await waitFor(page, `(document.getElementById('chart-cpu').dataset.bands || '').includes('fetch')`, 60_000);
      await waitFor(page, `/fetch\\|pack/.test(document.getElementById('chart-cpu').dataset.bands || '')`, 60_000);
      // This run's bands: everything after an earlier run's post-task (an earlier run may still be
      // shown, and a pre-task shorter than a sample draws no band): no "build" band among them.
      const bands = ((await page.evaluate(`document.getElementById('chart-cpu').dataset.bands`)) as string).split('|');
      const mine = bands.slice(bands.lastIndexOf('post-task', bands.indexOf('fetch')) + 1);
      assert.ok(!mine.includes('build'), bands.join('|'));
    } finally {
      assert.equal((await run).code, 0);
    }
  });

  test('an agent killed with SIGKILL is marked down, then back with a new PID', { timeout: 90_000 }, async (t) => {
    const before = await row(page, 'cleaner');
    assert.ok(before?.up && before.pid, JSON.stringify(before));
    // Watch the row from inside the page on every animation frame, so a short outage is not missed.
    await page.evaluate(`(() => {
      window.__downSeen = false;
      const tick = () => {
        if (${ROW('cleaner')}?.dataset.up === '0') window.__downSeen = true;
        if (!window.__downSeen) requestAnimationFrame(tick);
      };
      tick();
    })()`);
    const killedAt = Date.now();
    process.kill(before.pid, 'SIGKILL');
    await waitFor(page, 'window.__downSeen === true', 30_000);
    const downAfter = Date.now() - killedAt;
    await waitFor(
      page,
      `${ROW('cleaner')}?.dataset.up === '1' && Number(${ROW('cleaner')}.dataset.pid) !== ${before.pid}`,
      60_000,
    );
    const now = await row(page, 'cleaner');
    assert.notEqual(now!.pid, before.pid);
    t.diagnostic(
      `cleaner pid ${before.pid} killed: shown down after ${downAfter} ms, back as pid ${now!.pid} after ${Date.now() - killedAt} ms`,
    );
    const events = await page.locator('#events li').allTextContents();
    assert.ok(
      events.some((e) => e.includes(`cleaner (pid ${before.pid}) exited by SIGKILL`)),
      events.join('\n'),
    );
    assert.ok(
      events.some((e) => e.includes('cleaner is back')),
      events.join('\n'),
    );
    const restarts = Number(await page.locator('#services tr[data-service="cleaner"] td:nth-child(7)').textContent());
    assert.ok(restarts >= 1, `restarts shown: ${restarts}`);
  });

  test(
    'with a token: the browser is let in once by ?token=, and the event stream works on the cookie',
    { timeout: 90_000 },
    async () => {
      const token = 'e2e-browser-token-0123456789';
      const d = await startServe(env, ['dashboard', '--port', '0', '--token', token]);
      const p = await browser!.newPage();
      try {
        const denied = await p.goto(d.url);
        assert.equal(denied?.status(), 401);
        await p.goto(`${d.url}?token=${token}`);
        assert.equal(new URL(p.url()).search, '', 'the token stayed in the address bar');
        await waitFor(
          p,
          `document.querySelectorAll('#services tr[data-service][data-up="1"]').length === ${SERVICES.length}`,
          30_000,
        );
        await waitFor(p, `document.getElementById('conn').dataset.state === 'live'`, 30_000);
      } finally {
        await p.close();
        assert.equal(await d.stop(), 0);
      }
    },
  );

  test('the screenshot is not blank: text, badges and chart lines are drawn', { timeout: 60_000 }, async (t) => {
    const img = decodePng(await page.screenshot({ fullPage: false }));
    const colours = distinctColours(img);
    const lineBlue = findColour(img, hexRgb('#2563eb'), 16);
    const upGreen = findColour(img, hexRgb('#15803d'), 16);
    t.diagnostic(
      `${img.width}x${img.height}: ${colours} colours, chart blue ${lineBlue.count} px across x ${lineBlue.minX}..${lineBlue.maxX}, up badges ${upGreen.count} px`,
    );
    assert.ok(colours >= 200, `only ${colours} distinct colours: the page looks blank`);
    assert.ok(lineBlue.count >= 300 && lineBlue.maxX - lineBlue.minX >= 300, 'no chart line drawn');
    assert.ok(upGreen.count >= 200, 'no "up" badges drawn');
    assert.deepEqual(errors, [], `page errors or foreign requests: ${errors.join('; ')}`);
  });
});
