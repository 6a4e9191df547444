/**
 * The exported HTML page as a reader sees it: rendered by headless Chromium from a file, in the
 * light and dark schemes and for print, with nothing fetched. Screenshots land in .e2e/screenshots.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { renderHtml } from '../../src/core/report/render/html';
import { mergeTeam, entryOf } from '../../src/core/report/team/team';
import { renderTeamHtml } from '../../src/core/report/team/teamRender';
import { buildWeeklySummary } from '../../src/core/report/summary/summary';
import { BUDGET_NANOS, fixedLedger, NOW, PRICE_TABLE, teamLedgers, TZ } from '../report/ledger';
import { launchBrowser, SCREENSHOT_DIR } from './harness';

let browser: Browser;
let dir: string;
before(async () => {
  browser = await launchBrowser();
  dir = await mkdtemp(path.join(os.tmpdir(), 'unmetered-html-'));
  await mkdir(SCREENSHOT_DIR, { recursive: true });
});
after(async () => {
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Opens a file and records every request the page makes beyond the file itself. */
async function open(file: string, colorScheme: 'light' | 'dark' = 'light'): Promise<{ page: Page; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, colorScheme });
  const requests: string[] = [];
  page.on('request', (r) => r.url() !== `file://${file}` && requests.push(r.url()));
  await page.goto(`file://${file}`);
  return { page, requests };
}

const text = (page: Page, sel: string) => page.locator(sel).allInnerTexts();

test("the weekly HTML page shows the week's figures, charts and tables, and fetches nothing", async () => {
  const s = buildWeeklySummary(fixedLedger(), {
    week: '2026-W47',
    timeZone: TZ,
    budgetNanos: BUDGET_NANOS,
    now: NOW,
    developer: 'ada',
    priceTableVersion: PRICE_TABLE,
  });
  const file = path.join(dir, 'ada-2026-W47.html');
  await writeFile(file, renderHtml(s));
  const { page, requests } = await open(file);
  try {
    assert.equal(await page.title(), 'Unmetered · ada · 2026-W47');
    assert.equal(await page.locator('h1').innerText(), 'Weekly summary · ada');
    const cards = await text(page, '.card .v');
    assert.deepEqual(cards, ['$12.72', '$0.31', '39', '$39.93']);
    assert.match((await text(page, '.card.state-warning .muted'))[0], /of \$45\.00 for November 2026 · 89 %, near budget/);
    // the day chart: seven day labels, a metered column for each day with spend, the daily budget line
    const chart = page.locator('svg.column-chart');
    assert.deepEqual(await chart.locator('text.tick').filter({ hasText: / \d+$/ }).allTextContents(), [
      'Mon 16',
      'Tue 17',
      'Wed 18',
      'Thu 19',
      'Fri 20',
      'Sat 21',
      'Sun 22',
    ]);
    assert.equal(await chart.locator('rect.bar-cloud').count(), 7);
    assert.equal(await chart.locator('rect.bar-avoided').count(), 2);
    assert.match((await chart.locator('text.ref').textContent()) ?? '', /daily budget \$1\.50/);
    const box = await chart.boundingBox();
    assert.ok(box && box.width > 600 && box.height > 150, `the chart is drawn at a readable size (${JSON.stringify(box)})`);
    // the awkward project name is shown as text, not markup
    assert.ok((await text(page, 'td')).includes('site "v2", <beta> | next'));
    assert.equal(await page.locator('beta').count(), 0);
    assert.deepEqual(requests, [], 'no request leaves the page');
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'report-weekly-light.png'), fullPage: true });
  } finally {
    await page.close();
  }
});

test('dark scheme and print: readable colours in both, print always light', async () => {
  const s = buildWeeklySummary(fixedLedger(), {
    week: '2026-W47',
    timeZone: TZ,
    budgetNanos: BUDGET_NANOS,
    now: NOW,
    developer: 'ada',
    priceTableVersion: PRICE_TABLE,
  });
  const file = path.join(dir, 'dark.html');
  await writeFile(file, renderHtml(s));
  const { page } = await open(file, 'dark');
  try {
    const colours = () =>
      page.evaluate(`(() => { const b = getComputedStyle(document.body); return [b.backgroundColor, b.color]; })()`) as Promise<
        [string, string]
      >;
    const lum = (rgb: string) => {
      const [r, g, b] = rgb.match(/\d+/g)!.map(Number);
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const [darkBg, darkFg] = await colours();
    assert.ok(lum(darkBg) < 60 && lum(darkFg) > 180, `dark scheme: light text on a dark page (${darkBg}, ${darkFg})`);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'report-weekly-dark.png'), fullPage: true });
    await page.emulateMedia({ media: 'print', colorScheme: 'dark' });
    const [printBg, printFg] = await colours();
    assert.equal(printBg, 'rgb(255, 255, 255)');
    assert.equal(printFg, 'rgb(0, 0, 0)');
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    assert.ok(pdf.length > 10_000 && pdf.subarray(0, 5).toString() === '%PDF-', 'prints to a PDF');
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'report-weekly-print.png'), fullPage: true });
  } finally {
    await page.close();
  }
});

test('the team HTML page lists developers, marks who is over budget, and fetches nothing', async () => {
  const entries = ['2026-W46', '2026-W47'].flatMap((week) =>
    teamLedgers().map((d) =>
      entryOf(
        buildWeeklySummary(d.records, {
          week,
          timeZone: TZ,
          budgetNanos: d.budgetNanos,
          now: NOW,
          developer: d.developer,
          priceTableVersion: PRICE_TABLE,
        }),
        `${d.developer}-${week}.json`,
      ),
    ),
  );
  const file = path.join(dir, 'team.html');
  await writeFile(file, renderTeamHtml(mergeTeam(entries, [], { now: NOW })!));
  const { page, requests } = await open(file);
  try {
    assert.equal(await page.locator('h1').innerText(), 'Team summary · 2026-W47');
    assert.deepEqual(await text(page, '.card .v'), ['$56.69', '$7.82', '117', '1 of 3']);
    assert.deepEqual(await page.locator('svg.bar-list text.label').allTextContents(), ['grace', 'ada', 'linus']);
    assert.equal(await page.locator('svg.bar-list rect.bar-over').count(), 1, 'the developer over budget is drawn in the alert colour');
    const rows = await page.locator('table').first().locator('tbody tr').allInnerTexts();
    assert.match(rows[0], /^grace\t\$38\.15 \+ 2 unpriced\t\+149 %/);
    assert.match(await page.locator('tfoot').first().innerText(), /^Team\t\$56\.69 \+ 6 unpriced/);
    assert.deepEqual(requests, []);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'report-team.png'), fullPage: true });
  } finally {
    await page.close();
  }
});
