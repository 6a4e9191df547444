/**
 * The dashboard in a real VS Code: the packaged .vsix in code-server over a pre-filled ledger,
 * opened from the command palette, read in headless Chromium. The ledger holds literal costs, and the
 * expected figures are worked out here, independently of the code under test: the sums by hand in the
 * comments, which day falls in this week and this month by plain calendar arithmetic in a fixed-offset
 * zone (reference below), the projection by the rule the dashboard states under its chart.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Frame } from 'playwright-core';
import { tokens, type Interaction } from '../../src/core/interaction';
import { openLedger } from '../../src/core/ledger';
import { validate, type Schema } from '../../src/core/report/summary/jsonschema';
import { lastCompleteWeek } from '../../src/core/report/week';
import schema from '../../src/core/report/summary/weekly-2.schema.json';
import { startVSCode, type VSCodeSession } from './harness';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const BUDGET_USD = 60;

const now = Date.now();
/** Hours to add to UTC so that it is about noon now: "today" holds records a few hours old whenever the test runs. */
const offsetHours = 12 - new Date(now).getUTCHours();
/** The IANA name of that fixed offset (Etc/GMT's sign is inverted: Etc/GMT-3 is UTC+3). */
const timeZone = offsetHours === 0 ? 'Etc/GMT' : `Etc/GMT${offsetHours > 0 ? '-' : '+'}${Math.abs(offsetHours)}`;

let seq = 0;
/** A record with a literal cost in cents (and, for a local one, the cents it saved). */
function rec(at: number, agent: string, model: string, cents: number, savedCents?: number): Interaction {
  return {
    id: `${agent}:dash:${++seq}`,
    at: new Date(at).toISOString(),
    agent,
    source: 'log',
    project: 'webshop',
    model,
    route: savedCents === undefined ? 'cloud' : 'local',
    replaces: savedCents === undefined ? null : 'claude-sonnet-4-5',
    tokens: tokens({ input: 30_000, output: 8_000, cacheRead: 400_000 }),
    costNanos: cents * 10_000_000,
    avoidedNanos: savedCents === undefined ? null : savedCents * 10_000_000,
    priceSource: 'dashboard literal',
    estimated: false,
  };
}

// Today (noon now, so 3, 2 and 1 hours ago are today): claude-code $1.80 + codex $0.90 = $2.70 metered in
// 2 cloud interactions, and 1 local one that cost nothing and saved $0.60.
// On each of 6 earlier days (1, 2, 3, 5, 8 and 12 days ago): codex $0.50 + claude-code $1.25 × 2 = $3.00.
const HISTORY_DAYS = [1, 2, 3, 5, 8, 12];
const records: Interaction[] = [
  rec(now - 3 * HOUR, 'claude-code', 'claude-sonnet-4-5', 180),
  rec(now - 2 * HOUR, 'codex', 'gpt-5-codex', 90),
  rec(now - 1 * HOUR, 'claude-code', 'qwen3-coder:30b', 0, 60),
  ...HISTORY_DAYS.flatMap((d) =>
    Array.from({ length: 3 }, (_, k) =>
      k === 0
        ? rec(now - d * DAY - k * HOUR, 'codex', 'gpt-5-codex', 50)
        : rec(now - d * DAY - k * HOUR, 'claude-code', 'claude-opus-4-1', 125),
    ),
  ),
];

// The independent reference: calendar days in the fixed-offset zone by plain arithmetic.
const localDay = (t: number) => new Date(t + offsetHours * HOUR).toISOString().slice(0, 10);
const today = localDay(now);
const shiftDay = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
/** Weeks start on Monday (unmetered.export.weekStart's default). */
const weekStart = shiftDay(today, -((new Date(`${today}T00:00:00Z`).getUTCDay() + 6) % 7));
const monthStart = `${today.slice(0, 8)}01`;
const historyIn = (from: string) => HISTORY_DAYS.filter((d) => shiftDay(today, -d) >= from).length;
const dollars = (cents: number) => `$${(cents / 100).toFixed(2)}`;
/** Today's cards: $2.70; this week and this month add $3.00 for each earlier day they hold. */
const expectedCents = { today: 270, week: 270 + 300 * historyIn(weekStart), month: 270 + 300 * historyIn(monthStart) };
/**
 * The projection, by the rule the dashboard states ("the average of the last 7 complete days"): the 7 days
 * before today hold the days 1, 2, 3 and 5 days ago, 4 × $3.00 = $12.00, so $12.00 / 7 a day. Today's
 * $2.70 is more than that, so today counts as it is, and each day left in the month adds $12 / 7.
 */
function projectedCents(monthCents: number): number {
  const [y, m, d] = today.split('-').map(Number);
  const daysLeft = new Date(Date.UTC(y, m, 0)).getUTCDate() - d;
  return Math.round(monthCents + (1200 * daysLeft) / 7);
}

let vs: VSCodeSession;
before(async () => {
  vs = await startVSCode({
    settings: { 'unmetered.timezone': timeZone, 'unmetered.monthlyBudget': BUDGET_USD, 'workbench.colorTheme': 'Default Dark Modern' },
    prepare: async (dirs) => {
      // The automatic export of last week goes to a "team share" in the temp dir.
      const settingsFile = path.join(dirs.userData, 'User', 'settings.json');
      const settings = JSON.parse(await readFile(settingsFile, 'utf8'));
      await writeFile(
        settingsFile,
        JSON.stringify(
          {
            ...settings,
            'unmetered.export.folder': path.join(dirs.root, 'team-share'),
            'unmetered.export.developer': 'e2e-dev',
            'unmetered.export.formats': ['json', 'md'],
          },
          null,
          2,
        ),
      );
      const ledger = await openLedger({ dir: dirs.unmeteredHome });
      await ledger.append(records);
      await ledger.close();
    },
  });
});
after(() => vs?.close());

/** The webview's inner document (VS Code nests it in two iframes), once the page has drawn a model. */
async function dashboardFrame(timeoutMs = 60_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const f of vs.page.frames()) {
      if (
        await f
          .locator('body[data-ready="true"] #cards .card')
          .count()
          .catch(() => 0)
      )
        return f;
    }
    await vs.page.waitForTimeout(250);
  }
  throw new Error(
    `the dashboard did not draw within ${timeoutMs} ms; frames: ${vs.page
      .frames()
      .map((f) => f.url())
      .join(', ')}`,
  );
}

test('Open Dashboard shows today, this week and this month, the budget chart, breakdowns and the costliest interactions', async () => {
  const requests: { url: string; frame: string }[] = [];
  vs.page.on('request', (r) => requests.push({ url: r.url(), frame: r.frame().url() }));
  await vs.waitForStatusBarItem('today');
  await vs.runCommand('Unmetered: Open Dashboard');
  const f = await dashboardFrame();

  assert.deepEqual(await f.locator('.card .v').allTextContents(), [
    dollars(expectedCents.today),
    dollars(expectedCents.week),
    dollars(expectedCents.month),
  ]);
  assert.match(await f.locator('.card[data-period="today"] .n').innerText(), /^\$0\.60 saved · 3 interactions/);
  const projected = projectedCents(expectedCents.month);
  const budget = await f.locator('#budget').innerText();
  assert.ok(budget.includes(`${dollars(projected)} projected of $60.00`), budget);
  // Warning from 80 % of the budget ($48.00), over from 100 % ($60.00).
  const state = projected >= 6000 ? 'over' : projected >= 4800 ? 'warning' : 'ok';
  assert.equal(await f.locator('#budget').getAttribute('class'), `budget state-${state}`);
  // the month chart: running total, projection and budget line
  for (const sel of ['path.line-actual', 'path.line-projection', 'line.line-budget'])
    assert.equal(await f.locator(`#chart svg ${sel}`).count(), 1, sel);
  assert.match((await f.locator('#chart text.ref').textContent()) ?? '', /budget \$60\.00/);
  // breakdown of the selected period (this month by default), cloud and local
  // claude-code costs more than codex on every day ($1.80 vs $0.90 today, $2.50 vs $0.50 before).
  assert.deepEqual(await f.locator('#breakdown svg.bar-list').first().locator('text.label').allTextContents(), ['claude-code', 'codex']);
  // Cloud: today's 2 and 3 a day on the earlier days of this month; local: today's one, which saved $0.60.
  const routes = await f.locator('#breakdown [data-testid="routes"] text.label').allTextContents();
  assert.deepEqual(routes, [`cloud ${2 + 3 * historyIn(monthStart)} · ${dollars(expectedCents.month)}`, 'local 1 · saved $0.60']);
  assert.match(await f.locator('#breakdown h3').nth(2).innerText(), /of interactions ran locally/);
  // the most expensive recent interactions: time, agent, model, tokens, cost
  const rows = await f.locator('[data-testid="recent"] tbody tr').allInnerTexts();
  // The 12 costliest of the last 7 days (today's 3 and 3 on each of the days 1, 2, 3 and 5 days ago: 15).
  assert.equal(rows.length, 12);
  // The costliest is today's $1.80; the cost comes right after the model.
  assert.match(rows[0], /\tclaude-code\tclaude-sonnet-4-5\t\$1\.80\t/);
  // strict CSP with a nonce; nothing fetched from outside code-server
  const csp = await f.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  assert.match(csp ?? '', /^default-src 'none'; .*script-src 'nonce-[A-Za-z0-9+/=]{24}'$/);
  const origin = new URL(vs.url).host;
  const foreign = requests.filter(
    (r) =>
      !/^(blob|data):/.test(r.url) &&
      new URL(r.url).host !== origin &&
      !new URL(r.url).host.endsWith('.vscode-cdn.net') &&
      r.url.includes('dashboard'),
  );
  assert.deepEqual(foreign, []);
  await vs.screenshot('dashboard');
});

test('the period tabs switch the breakdown, and the page follows the colour theme', async () => {
  const f = await dashboardFrame();
  await f.locator('.tabs button[data-period="today"]').click();
  assert.equal(await f.locator('#period-title').innerText(), 'Today');
  assert.deepEqual(
    await f.locator('#breakdown svg.bar-list').first().locator('text.label').allTextContents(),
    ['claude-code', 'codex'], // today: $1.80 (and the local one at $0) vs $0.90
  );
  const bg = () => f.evaluate('getComputedStyle(document.body).backgroundColor') as Promise<string>;
  const dark = await bg();
  await vs.runCommand('Preferences: Color Theme');
  const input = vs.page.locator('.quick-input-widget .quick-input-box input');
  await input.fill('Light Modern');
  await vs.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Light Modern' }).first().waitFor();
  await vs.page.keyboard.press('Enter');
  const deadline = Date.now() + 20_000;
  let light = dark;
  while (Date.now() < deadline && light === dark) {
    await vs.page.waitForTimeout(250);
    light = await bg();
  }
  const lum = (rgb: string) =>
    rgb
      .match(/\d+/g)!
      .slice(0, 3)
      .map(Number)
      .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  assert.ok(lum(dark) < 80 && lum(light) > 200, `dark theme ${dark} → light theme ${light}`);
  await vs.screenshot('dashboard-light');
});

test('a new interaction written to the ledger by another process shows up without reopening', async () => {
  const f = await dashboardFrame();
  const before = await f.locator('.card[data-period="today"] .v').innerText();
  const fresh = rec(Date.now() - 60_000, 'claude-code', 'claude-opus-4-1', 200);
  const ledger = await openLedger({ dir: vs.dirs.unmeteredHome });
  await ledger.append([fresh]);
  await ledger.close();
  // The ledger holds it now: later tests expect it too. Today $2.70 + $2.00 = $4.70; week and month + $2.00.
  for (const k of ['today', 'week', 'month'] as const) expectedCents[k] += 200;
  const want = dollars(expectedCents.today);
  assert.equal(want, '$4.70');
  assert.notEqual(want, before);
  const t0 = Date.now();
  await f.locator('.card[data-period="today"] .v', { hasText: want }).waitFor({ timeout: 15_000 });
  process.stderr.write(`[e2e] dashboard showed the new interaction ${Date.now() - t0} ms after the append\n`);
  // $2.00 is now the costliest of the last 7 days (before it, $1.80).
  assert.equal((await f.locator('[data-testid="recent"] tbody tr').first().innerText()).includes('claude-opus-4-1'), true);
});

test('on the first start of a week, last week is exported once into unmetered.export.folder', async () => {
  const week = lastCompleteWeek(now, timeZone).id;
  const file = path.join(vs.dirs.root, 'team-share', `e2e-dev-${week}.json`);
  const md = path.join(vs.dirs.root, 'team-share', `e2e-dev-${week}.md`);
  // The files are written one after the other: wait for both, not only the first.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !(existsSync(file) && existsSync(md))) await vs.page.waitForTimeout(500);
  assert.ok(existsSync(file), `${file} was written`);
  assert.ok(existsSync(md), `${md} was written`);
  const j = JSON.parse(await readFile(file, 'utf8'));
  assert.deepEqual(validate(schema as Schema, j), []);
  assert.equal(j.developer, 'e2e-dev');
  assert.equal(j.week.id, week);
  assert.ok(existsSync(path.join(vs.dirs.unmeteredHome, 'auto-export', week)), 'the week is marked as exported');
});

test('the dashboard comes back after a window reload, drawn, without running a command', async () => {
  await dashboardFrame();
  await vs.page.reload();
  await vs.page.locator('.monaco-workbench .part.statusbar').waitFor({ timeout: 60_000 });
  // No command is run: VS Code restores the panel through the extension's webview serializer, and the page
  // draws the figures again. (Which period tab it shows is the page's webview state, which VS Code itself
  // persists on its own schedule.)
  const f = await dashboardFrame(90_000);
  assert.deepEqual(await f.locator('.card .v').allTextContents(), [
    dollars(expectedCents.today),
    dollars(expectedCents.week),
    dollars(expectedCents.month),
  ]);
  await vs.screenshot('dashboard-restored');
});
