// The HTML report as a person sees it: rendered by headless Chromium (Debian's `chromium`), the
// screenshot decoded and checked — not blank, many colours, each chart's line drawn across its plot,
// threshold events visible — in the light and the dark colour scheme.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { which } from '../../src/host/exec.js';
import { renderHtml } from '../../src/report/render-html.js';
import { COLORS } from '../../src/report/series.js';
import { EVENT_COLORS } from '../../src/report/svg-chart.js';
import { decodePng, distinctColours, findColour, hexRgb, type Image } from '../helpers/png.js';
import { realisticRecord } from '../helpers/report-fixture.js';

const CHROMIUM = (await which('chromium')) ?? (await which('chromium-browser'));

function chromiumSkip(): false | string {
  if (CHROMIUM) return false;
  if (process.env.CI === 'true') throw new Error('CI=true but chromium is not installed: apt-get install -y chromium');
  return 'chromium is not installed (apt-get install -y chromium): the HTML report is not rendered';
}

/** Screenshots `html` with a fresh profile; kills the whole process group if it hangs. */
function screenshot(
  scratch: string,
  html: string,
  png: string,
  dark: boolean,
): Promise<{ code: number | null; stderr: string }> {
  const profile = mkdtempSync(join(scratch, 'profile-'));
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--user-data-dir=${profile}`,
    '--window-size=1280,2400',
    `--screenshot=${png}`,
    ...(dark ? ['--force-dark-mode'] : []),
    `file://${html}`,
  ];
  return new Promise((resolve, reject) => {
    // Its own process group, so that a hung browser goes with all its helper processes.
    const child = spawn(CHROMIUM!, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const killGroup = (): void => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(killGroup, 90_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      killGroup(); // helpers that outlived the browser (zygote, utility) are ours to end
      rmSync(profile, { recursive: true, force: true });
      resolve({ code, stderr });
    });
  });
}

const px = (img: Image, x: number, y: number): [number, number, number] => {
  const i = (y * img.width + x) * 4;
  return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
};
const luminance = ([r, g, b]: [number, number, number]): number => 0.2126 * r + 0.7152 * g + 0.0722 * b;

/** Share of pixels clearly darker or lighter than the page background: text, lines, fills (not card edges). */
function inkShare(img: Image): number {
  const bg = luminance(px(img, 2, 2));
  let ink = 0;
  for (let i = 0; i < img.data.length; i += 4) {
    if (Math.abs(luminance([img.data[i]!, img.data[i + 1]!, img.data[i + 2]!]) - bg) > 50) ink++;
  }
  return ink / (img.width * img.height);
}

/** The series line of one chart: many pixels of its colour, wide across the plot, within one chart's height. */
function assertLine(img: Image, name: string, hex: string): string {
  const h = findColour(img, hexRgb(hex), 12);
  const where = `${name} ${hex}: ${h.count} px in x ${h.minX}..${h.maxX}, y ${h.minY}..${h.maxY}`;
  assert.ok(h.count >= 400, `too few pixels: ${where}`);
  assert.ok(h.maxX - h.minX >= 700, `not drawn across the plot: ${where}`);
  assert.ok(h.maxY - h.minY <= 420, `spread over more than one chart: ${where}`);
  return where;
}

describe('the HTML report in headless Chromium', { skip: chromiumSkip() }, () => {
  let scratch = '';
  let html = '';
  before(() => {
    scratch = mkdtempSync('/tmp/isoswarm-test-report-chromium-');
    html = join(scratch, 'report.html');
    writeFileSync(html, renderHtml(realisticRecord({ samples: 300 })));
  });
  // ISOSWARM_KEEP_SCREENSHOTS=1 keeps the scratch dir (report.html, light.png, dark.png) to look at.
  after(() => {
    if (process.env.ISOSWARM_KEEP_SCREENSHOTS === '1') process.stderr.write(`screenshots kept in ${scratch}\n`);
    else rmSync(scratch, { recursive: true, force: true });
  });

  for (const dark of [false, true]) {
    test(
      `${dark ? 'dark' : 'light'} scheme: the page is drawn, with every chart line and the threshold events`,
      { timeout: 120_000 },
      async (t) => {
        const png = join(scratch, dark ? 'dark.png' : 'light.png');
        const r = await screenshot(scratch, html, png, dark);
        assert.equal(r.code, 0, `chromium exited ${r.code}: ${r.stderr.slice(-2000)}`);
        const img = decodePng(readFileSync(png));
        assert.equal(img.width, 1280);
        assert.equal(img.height, 2400);
        const bg = luminance(px(img, 2, 2));
        if (dark) assert.ok(bg < 40, `dark background expected, luminance ${bg}`);
        else assert.ok(bg > 225, `light background expected, luminance ${bg}`);
        const colours = distinctColours(img);
        assert.ok(colours >= 800, `only ${colours} distinct colours: the page looks blank`);
        const ink = inkShare(img);
        assert.ok(ink > 0.015, `only ${(ink * 100).toFixed(1)} % of the page differs from the background`);
        // The charts that fit in 2400 px: CPU, memory, and the two disks.
        t.diagnostic(
          `${png}: ${colours} colours, ${(ink * 100).toFixed(1)} % ink, background luminance ${bg.toFixed(0)}`,
        );
        t.diagnostic(assertLine(img, 'CPU', COLORS.cpu));
        t.diagnostic(assertLine(img, 'memory', COLORS.memory));
        t.diagnostic(assertLine(img, 'disk /', COLORS.disks[0]));
        t.diagnostic(assertLine(img, 'disk /var/lib/isoswarm/builds', COLORS.disks[1]));
        // Threshold events: dashed vertical lines spanning a plot's height.
        for (const [name, hex] of [
          ['warning', EVENT_COLORS.warning],
          ['recovery', EVENT_COLORS.recovery],
        ] as const) {
          const h = findColour(img, hexRgb(hex), 12);
          const where = `${name} event line: ${h.count} px, y ${h.minY}..${h.maxY}`;
          t.diagnostic(where);
          assert.ok(h.count >= 60 && h.maxY - h.minY >= 150, where);
        }
        // The CPU line sits below the memory line on the page: charts in the order of the report.
        assert.ok(findColour(img, hexRgb(COLORS.cpu), 12).maxY < findColour(img, hexRgb(COLORS.memory), 12).minY + 40);
      },
    );
  }
});
