/**
 * The status bar in a real VS Code: the packaged .vsix in code-server, a ledger pre-filled in
 * UNMETERED_HOME, headless Chromium reading what a person sees. The records carry literal costs, and
 * the expected figures are worked out here from the README's stated method (an independent reference:
 * no core meter or money code is used to compute them).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { tokens, type Interaction } from '../../src/core/interaction';
import { openLedger } from '../../src/core/ledger';
import { startVSCode, type StatusBarItem, type VSCodeSession } from './harness';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NANOS = 1_000_000_000;

/**
 * A fixed-offset zone in which it is about noon now, set as `unmetered.timezone`: "today" is then
 * unambiguous for records a few hours old, whenever the test runs.
 */
function zoneNearNoon(now: number): string {
  const offset = 12 - new Date(now).getUTCHours(); // -11 … +12
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`; // POSIX sign: Etc/GMT-3 is UTC+3
}

let seq = 0;
function rec(
  at: number,
  p: { agent: string; model: string; costUSD: number | null; route?: 'cloud' | 'local'; avoidedUSD?: number },
): Interaction {
  seq++;
  return {
    id: `${p.agent}:e2e-session:${seq}`,
    at: new Date(at).toISOString(),
    agent: p.agent,
    source: p.route === 'local' ? 'gateway' : 'log',
    project: 'webshop',
    model: p.model,
    route: p.route ?? 'cloud',
    replaces: p.route === 'local' ? 'claude-sonnet-4-5' : null,
    tokens: tokens({ input: 1000, output: 100 }),
    costNanos: p.costUSD === null ? null : Math.round(p.costUSD * NANOS),
    avoidedNanos: p.avoidedUSD === undefined ? null : Math.round(p.avoidedUSD * NANOS),
    priceSource: p.costUSD === null ? null : 'e2e literal',
    estimated: false,
  };
}

const now = Date.now();
const timeZone = zoneNearNoon(now);
const ledgerRecords: Interaction[] = [
  // today: $1.25 + $0.75 metered, $1.40 saved by a local model, one unpriced model
  rec(now - 3 * HOUR, { agent: 'claude-code', model: 'claude-sonnet-4-5', costUSD: 1.25 }),
  rec(now - 2 * HOUR, { agent: 'codex', model: 'gpt-5-codex', costUSD: 0.75 }),
  rec(now - 1 * HOUR, { agent: 'claude-code', model: 'qwen3-coder:30b', route: 'local', costUSD: 0, avoidedUSD: 1.4 }),
  rec(now - 30 * 60_000, { agent: 'codex', model: 'acme-coder-9', costUSD: null }),
  // the six days before: 8 interactions of $2 each, $16 a day
  ...[1, 2, 3, 4, 5, 6].flatMap((d) =>
    Array.from({ length: 8 }, (_, k) =>
      rec(now - d * DAY - k * 10 * 60_000, { agent: 'claude-code', model: 'claude-opus-4-1', costUSD: 2 }),
    ),
  ),
];

/**
 * The README's projection, worked out for this ledger: month to date before today, plus today at no less
 * than the daily rate, plus the days left × the rate. The history covers the six days before today, all at
 * $16, so the rate is $16; of those six days, those in this month count towards the month to date.
 */
function expectedFigures(extraTodayUSD = 0): { todayUSD: number; savedUSD: number; projectedUSD: number } {
  const [y, m, d] = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(now)
    .split('-')
    .map(Number);
  const daysInMonth = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const rate = 16;
  const todayUSD = 1.25 + 0.75 + extraTodayUSD;
  const daysBeforeThisMonth = Math.min(6, d - 1);
  const projectedUSD = rate * daysBeforeThisMonth + Math.max(todayUSD, rate) + rate * (daysInMonth - d);
  return { todayUSD, savedUSD: 1.4, projectedUSD };
}

const dollars = (usd: number) => `$${usd.toFixed(2)}`;
/** The status bar's rounding of a projection: whole dollars from $10, cents below (the figures here stay under $1,000, where it would write $1.2k). */
const rough = (usd: number) => (usd >= 10 ? `$${Math.round(usd).toLocaleString('en-US')}` : dollars(usd));

function hexToRgb(hex: string): string {
  const h = hex.replace('#', '');
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16));
  return `rgb(${r}, ${g}, ${b})`;
}

function assertShows(item: StatusBarItem, text: string, e: { todayUSD: number; savedUSD: number; projectedUSD: number }): void {
  assert.match(item.text, /^\$\([\w-]+\) /, 'the item starts with an icon');
  assert.ok(item.text.endsWith(text), `status bar text ${JSON.stringify(item.text)} should end with ${JSON.stringify(text)}`);
  assert.ok(item.ariaLabel.startsWith('Unmetered:'), `aria label ${JSON.stringify(item.ariaLabel)}`);
  for (const f of [
    `${dollars(e.todayUSD)} spent today`,
    `${dollars(e.savedUSD)} saved by local models today`,
    `projected ${rough(e.projectedUSD)} this month`,
  ]) {
    assert.ok(item.ariaLabel.includes(f), `aria label ${JSON.stringify(item.ariaLabel)} should spell out "${f}"`);
  }
}

// A budget of half the projection puts the month over budget.
const overBudgetUSD = Math.max(1, Math.floor(expectedFigures().projectedUSD / 2));

let vscode: VSCodeSession;

before(async () => {
  vscode = await startVSCode({
    settings: { 'unmetered.monthlyBudget': overBudgetUSD, 'unmetered.timezone': timeZone },
    prepare: async (dirs) => {
      const ledger = await openLedger({ dir: dirs.unmeteredHome });
      await ledger.append(ledgerRecords);
      await ledger.close();
    },
  });
});

after(async () => {
  await vscode?.close();
});

test('the status bar shows today, saved today and the projected month against the budget, in the error colour when over budget', async () => {
  const e = expectedFigures();
  // e.g. "$2.00 · $1.40 saved · $480/$240" (the words are in the aria label, checked by assertShows)
  const text = `${dollars(e.todayUSD)} · ${dollars(e.savedUSD)} saved · ${rough(e.projectedUSD)}/${rough(overBudgetUSD)}`;
  const item = await vscode.waitForStatusBarItem(text);
  await vscode.screenshot('statusbar-over-budget');
  assertShows(item, text, e);
  assert.ok(
    item.ariaLabel.includes(`against a budget of ${rough(overBudgetUSD)}, over budget`),
    `aria label names the budget: ${item.ariaLabel}`,
  );
  assert.ok(item.ariaLabel.includes('1 unpriced model'), item.ariaLabel);
  assert.match(item.className, /\berror-kind\b/);
  assert.ok(item.themeColors.error, 'the theme defines statusBarItem.errorBackground');
  assert.equal(item.background, hexToRgb(item.themeColors.error));
  // Every part in use (today, saved, projection against a budget): look.test.ts holds the item to 240 px
  // in this state even with four-digit figures, and to 160 px on the usual day (nothing local).
  assert.ok(item.width <= 240, `the item is ${item.width} px wide`);
});

test('a record appended by another process (the CLI, another window) reaches the status bar', async () => {
  const extra = rec(Date.now() - 60_000, { agent: 'codex', model: 'gpt-5-codex', costUSD: 3.5 });
  const e = expectedFigures(3.5);
  const ledger = await openLedger({ dir: vscode.dirs.unmeteredHome });
  const t0 = Date.now();
  await ledger.append([extra]);
  await ledger.close();
  ledgerRecords.push(extra);
  const text = `${dollars(e.todayUSD)} · ${dollars(e.savedUSD)} saved · ${rough(e.projectedUSD)}/${rough(overBudgetUSD)}`;
  const item = await vscode.waitForStatusBarItem(text, 15_000);
  process.stderr.write(`[e2e] appended record shown after ${Date.now() - t0} ms\n`);
  assertShows(item, text, e);
});

test('"Unmetered: Set Monthly Budget…" from the command palette saves the setting and recolours the item', async () => {
  const e = expectedFigures(3.5);
  // A budget the projection reaches 80–100 % of: the warning state.
  const budgetUSD = Math.ceil(e.projectedUSD / 0.9);
  await vscode.runCommand('Unmetered: Set Monthly Budget');
  await vscode.answerInputBox(String(budgetUSD), 'Monthly Budget');

  const text = `${dollars(e.todayUSD)} · ${dollars(e.savedUSD)} saved · ${rough(e.projectedUSD)}/${rough(budgetUSD)}`;
  const item = await vscode.waitForStatusBarItem(text);
  await vscode.screenshot('statusbar-warning-after-set-budget');
  assertShows(item, text, e);
  assert.match(item.className, /\bwarning-kind\b/);
  assert.equal(item.background, hexToRgb(item.themeColors.warning));
  const settings = await vscode.readUserSettings();
  assert.equal(settings['unmetered.monthlyBudget'], budgetUSD);
  assert.equal(settings['unmetered.timezone'], timeZone);
});

test('hovering the item shows the breakdown by agent and model, the unpriced model, the projection method and command links', async () => {
  const e = expectedFigures(3.5);
  const text = await vscode.hoverStatusBarItem(`${dollars(e.todayUSD)} · `);
  await vscode.screenshot('statusbar-tooltip');
  // This month's agents, and its three costliest models (the six earlier days fall in this month unless
  // today is the 1st): opus $16 a day, gpt-5-codex $0.75 + $3.50, sonnet $1.25.
  const [, , d] = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(now)
    .split('-')
    .map(Number);
  const models = d > 1 ? ['claude-opus-4-1', 'gpt-5-codex', 'claude-sonnet-4-5'] : ['gpt-5-codex', 'claude-sonnet-4-5'];
  for (const key of ['claude-code', 'codex', ...models]) assert.ok(text.includes(key), `tooltip lists ${key}:\n${text}`);
  assert.match(text, /more in the dashboard/);
  assert.match(text, /acme-coder-9/);
  assert.match(text, /unpriced/i);
  assert.match(text, /Projection: Month to date, with today counted at no less than the daily rate/);
  assert.match(text, /Budget/);
  assert.match(text, /Dashboard/);
});

test('the tooltip stays open while its figures stay the same: the once-a-minute refresh repaints nothing', async () => {
  const e = expectedFigures(3.5);
  await vscode.hoverStatusBarItem(`${dollars(e.todayUSD)} · `);
  const hover = vscode.page.locator('.workbench-hover, .monaco-hover').filter({ visible: true }).first();
  // The extension refreshes the meter every 60 s (extension.ts): 65 s covers at least one refresh. A repaint of
  // the item closes its open tooltip, so a refresh that changes nothing must not repaint it.
  const deadline = Date.now() + 65_000;
  while (Date.now() < deadline) {
    assert.ok(await hover.isVisible(), `the tooltip closed ${Math.round((65_000 - (deadline - Date.now())) / 1000)} s after it opened`);
    await vscode.page.waitForTimeout(1_000);
  }
  await vscode.page.mouse.move(700, 400);
});
