/**
 * The dashboard in a real VS Code: the packaged .vsix in code-server over a pre-filled ledger,
 * opened from the command palette, read in headless Chromium. Expected figures come from the same
 * core function the extension uses (buildDashboard) over the records written here.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Frame } from 'playwright-core';
import { tokens, type Interaction, type Tokens } from '../../src/core/interaction';
import { openLedger } from '../../src/core/ledger';
import { usdToNanos } from '../../src/core/money';
import { loadPriceTable, priceInteraction } from '../../src/core/pricing';
import { buildDashboard, type DashboardModel } from '../../src/core/report/dashboard';
import { usd } from '../../src/core/report/format';
import { validate, type Schema } from '../../src/core/report/jsonschema';
import { lastCompleteWeek } from '../../src/core/report/week';
import schema from '../../src/core/report/weekly-2.schema.json';
import { startVSCode, type VSCodeSession } from './harness';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const BUDGET_USD = 60;

/** A fixed-offset zone in which it is about noon now: "today" holds records a few hours old whenever the test runs. */
function zoneNearNoon(now: number): string {
  const offset = 12 - new Date(now).getUTCHours();
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

const prices = loadPriceTable();
let seq = 0;
function rec(at: number, agent: string, model: string, t: Partial<Tokens>, local?: string): Interaction {
  return priceInteraction(
    {
      id: `${agent}:dash:${++seq}`,
      at: new Date(at).toISOString(),
      agent,
      source: 'log',
      project: 'webshop',
      model,
      route: local ? 'local' : 'cloud',
      replaces: local ?? null,
      tokens: tokens(t),
      costNanos: null,
      avoidedNanos: null,
      priceSource: null,
      estimated: false,
    },
    prices,
  );
}

const now = Date.now();
const timeZone = zoneNearNoon(now);
const records: Interaction[] = [
  rec(now - 3 * HOUR, 'claude-code', 'claude-sonnet-4-5', { input: 20_000, output: 9_000, cacheRead: 600_000, cacheWrite5m: 40_000 }),
  rec(now - 2 * HOUR, 'codex', 'gpt-5-codex', { input: 80_000, output: 12_000, cacheRead: 300_000, reasoning: 6_000 }),
  rec(now - 1 * HOUR, 'claude-code', 'qwen3-coder:30b', { input: 20_000, output: 9_000 }, 'claude-sonnet-4-5'),
  ...[1, 2, 3, 5, 8, 12].flatMap((d) =>
    Array.from({ length: 3 }, (_, k) =>
      rec(now - d * DAY - k * HOUR, k === 0 ? 'codex' : 'claude-code', k === 0 ? 'gpt-5-codex' : 'claude-opus-4-1', {
        input: 30_000,
        output: 8_000 + 1000 * d,
        cacheRead: 400_000,
      }),
    ),
  ),
];

const expected = (rs: Interaction[]): DashboardModel =>
  buildDashboard(rs, { now: Date.now(), timeZone, budgetNanos: usdToNanos(BUDGET_USD) });

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
  const want = expected(records);

  assert.deepEqual(await f.locator('.card .v').allTextContents(), [
    usd(want.periods.today.totals.costUSD),
    usd(want.periods.week.totals.costUSD),
    usd(want.periods.month.totals.costUSD),
  ]);
  assert.match(
    await f.locator('.card[data-period="today"] .n').innerText(),
    new RegExp(`^\\${usd(want.periods.today.totals.avoidedUSD)} saved · 3 interactions`),
  );
  const budget = await f.locator('#budget').innerText();
  assert.ok(budget.includes(`${usd(want.month.projectedMonthUSD)} projected of $60.00`), budget);
  assert.equal(await f.locator('#budget').getAttribute('class'), `budget state-${want.month.budgetState}`);
  // the month chart: running total, projection and budget line
  for (const sel of ['path.line-actual', 'path.line-projection', 'line.line-budget'])
    assert.equal(await f.locator(`#chart svg ${sel}`).count(), 1, sel);
  assert.match((await f.locator('#chart text.ref').textContent()) ?? '', /budget \$60\.00/);
  // breakdown of the selected period (this month by default), cloud and local
  assert.deepEqual(
    await f.locator('#breakdown svg.bar-list').first().locator('text.label').allTextContents(),
    want.periods.month.agents.map((a) => a.agent),
  );
  const routes = await f.locator('#breakdown [data-testid="routes"] text.label').allTextContents();
  assert.deepEqual(routes, [
    `cloud ${want.periods.month.routes.cloud.interactions} · ${usd(want.periods.month.routes.cloud.costUSD)}`,
    `local 1 · saved ${usd(want.periods.month.routes.local.avoidedUSD)}`,
  ]);
  assert.match(await f.locator('#breakdown h3').nth(2).innerText(), /of interactions ran locally/);
  // the most expensive recent interactions: time, agent, model, tokens, cost
  const rows = await f.locator('[data-testid="recent"] tbody tr').allInnerTexts();
  assert.equal(rows.length, want.recent.length);
  assert.match(rows[0], new RegExp(`\\t${want.recent[0].agent}\\t${want.recent[0].model}\\t\\${usd(want.recent[0].costUSD)}\\t`)); // cost right after the model
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
    expected(records).periods.today.agents.map((a) => a.agent),
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
  const fresh = rec(Date.now() - 60_000, 'claude-code', 'claude-opus-4-1', { input: 200_000, output: 40_000 });
  const ledger = await openLedger({ dir: vs.dirs.unmeteredHome });
  await ledger.append([fresh]);
  await ledger.close();
  records.push(fresh); // the ledger holds it now: later tests expect it too
  const want = usd(expected(records).periods.today.totals.costUSD);
  assert.notEqual(want, before);
  const t0 = Date.now();
  await f.locator('.card[data-period="today"] .v', { hasText: want }).waitFor({ timeout: 15_000 });
  process.stderr.write(`[e2e] dashboard showed the new interaction ${Date.now() - t0} ms after the append\n`);
  assert.equal((await f.locator('[data-testid="recent"] tbody tr').first().innerText()).includes('claude-opus-4-1'), true);
});

test('on the first start of a week, last week is exported once into unmetered.export.folder', async () => {
  const week = lastCompleteWeek(now, timeZone).id;
  const file = path.join(vs.dirs.root, 'team-share', `e2e-dev-${week}.json`);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !existsSync(file)) await vs.page.waitForTimeout(500);
  assert.ok(existsSync(file), `${file} was written`);
  assert.ok(existsSync(path.join(vs.dirs.root, 'team-share', `e2e-dev-${week}.md`)));
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
    usd(expected(records).periods.today.totals.costUSD),
    usd(expected(records).periods.week.totals.costUSD),
    usd(expected(records).periods.month.totals.costUSD),
  ]);
  await vs.screenshot('dashboard-restored');
});
