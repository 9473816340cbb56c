// report.html in a real browser: opened from disk in headless Chromium (Debian's package, driven
// by playwright-core; no browser download), it draws every chart and fetches nothing.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { renderHtml } from '../../lab/report/html.js';
import type { LabReport } from '../../lab/report.js';

const executablePath = '/usr/bin/chromium';
const missing = existsSync(executablePath)
  ? undefined
  : `no Chromium at ${executablePath}: install Debian's package with \`apt-get update && apt-get install chromium\``;
// A machine without Chromium skips these tests, saying why; CI installs it (.ci/run), so there a
// missing browser is a failure.
const skip = process.env.CI ? false : (missing ?? false);
const screenshot = fileURLToPath(new URL('../../.netlab/screenshots/report.png', import.meta.url));
const report = JSON.parse(readFileSync(new URL('../fixtures/report.json', import.meta.url), 'utf8')) as LabReport;

let dir: string;
let context: BrowserContext;

before(async () => {
  if (skip) return;
  assert.ok(!missing, missing);
  dir = mkdtempSync(join(tmpdir(), 'netlab-report-'));
  context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await context?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Opens a rendered report from a file and records every request and console error it causes. */
async function open(r: LabReport, name: string): Promise<{ page: Page; requests: string[]; errors: string[] }> {
  const file = join(dir, name);
  writeFileSync(file, renderHtml(r));
  const page = await context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (req) => requests.push(req.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, requests, errors };
}

const bars = (page: Page, chart: string, selector = '.bar'): Promise<number> =>
  page.locator(`svg[data-chart="${chart}"] ${selector}`).count();

test('report.html draws every chart from disk and fetches nothing', { skip }, async () => {
  const { page, requests, errors } = await open(report, 'report.html');

  for (const chart of ['timeline', 'density', 'nlb-spread', 'iperf3', 'dns', 'eni-map']) {
    const svg = page.locator(`svg[data-chart="${chart}"]`);
    assert.ok(await svg.isVisible(), `${chart} is visible`);
    const box = await svg.boundingBox();
    assert.ok(box && box.width > 300 && box.height > 50, `${chart} has a size: ${JSON.stringify(box)}`);
  }

  assert.equal(await bars(page, 'timeline'), report.phases.length);
  assert.equal(await bars(page, 'iperf3'), report.iperf3!.tests.length);
  assert.equal(await bars(page, 'nlb-spread'), Object.keys(report.nlb!.perPod).length);
  assert.equal(await bars(page, 'density'), report.nodes!.length);
  assert.equal(await bars(page, 'dns', '.marker'), 3);
  assert.equal(await bars(page, 'eni-map', '.eni'), report.networking!.enis.length);
  assert.equal(await bars(page, 'eni-map', '.pod'), report.networking!.pods.length);

  // Bar lengths follow the figures: bidirectional (9.61) is about twice tcp (4.87).
  const widths = await Promise.all(
    report.iperf3!.tests.map(
      async (_, i) => (await page.locator('svg[data-chart="iperf3"] .bar').nth(i).boundingBox())!.width,
    ),
  );
  assert.ok(Math.abs(widths[2]! / widths[0]! - 9.614 / 4.867) < 0.05, `iperf3 bar widths ${widths.join(', ')}`);

  const text = (await page.locator('main').textContent()) ?? '';
  for (const figure of [
    'lab-tmwysccad',
    'Too many pods',
    '43',
    '9.61 Gbit/s',
    '1.34 Gbit/s',
    'resolves 61.6 s',
    'removed after 44.8 s',
    '53 (53%)',
    'eni-2a7d91c3e5f8b4062',
    'nothing tagged with the lab id is left',
  ])
    assert.ok(text.includes(figure), `page shows ${figure}`);

  assert.ok(requests.length > 0, 'the page itself was requested');
  const remote = requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'));
  assert.deepEqual(remote, [], 'no network requests');
  assert.deepEqual(errors, [], 'no console errors (a blocked load would show here)');

  mkdirSync(join(screenshot, '..'), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });
  await page.close();
});

test('a report string with markup stays text in the browser', { skip }, async () => {
  const r = structuredClone(report);
  const evil = '<script>document.title = "owned"</script><img src="https://example.invalid/x.png">';
  r.phases[1] = { ...r.phases[1]!, status: 'failed', error: evil };
  r.outcome = 'failed';
  r.error = evil;
  const { page, requests, errors } = await open(r, 'evil.html');
  assert.equal(await page.locator('script, img').count(), 0);
  assert.equal(await page.title(), 'eks-netlab lab-tmwysccad: failed');
  assert.equal(await page.locator('header pre.error').textContent(), evil);
  assert.ok((await page.locator('#phases').textContent())?.includes(evil));
  assert.deepEqual(
    requests.filter((u) => !u.startsWith('file:')),
    [],
  );
  assert.deepEqual(errors, []);
  await page.close();
});
