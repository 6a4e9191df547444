/**
 * The status bar in a real VS Code: the packaged .vsix in code-server, a ledger pre-filled in
 * UNMETERED_HOME, headless Chromium reading what a person sees. Expected figures come from the same
 * core functions the extension uses (computeMeter, formatUSD) over the records written here.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { tokens, type Interaction, type Tokens } from '../../src/core/interaction';
import { openLedger } from '../../src/core/ledger';
import { computeMeter, formatRough, type Meter } from '../../src/core/meter';
import { formatUSD, usdToNanos } from '../../src/core/money';
import { loadPriceTable, priceInteraction } from '../../src/core/pricing';
import { startVSCode, type StatusBarItem, type VSCodeSession } from './harness';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * A fixed-offset zone in which it is about noon now, set as `unmetered.timezone`: "today" is then
 * unambiguous for records a few hours old, whenever the test runs.
 */
function zoneNearNoon(now: number): string {
  const offset = 12 - new Date(now).getUTCHours(); // -11 … +12
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`; // POSIX sign: Etc/GMT-3 is UTC+3
}

const prices = loadPriceTable();
let seq = 0;
function rec(at: number, p: { agent: string; model: string; t: Partial<Tokens>; route?: 'cloud' | 'local'; replaces?: string }): Interaction {
  seq++;
  return priceInteraction(
    {
      id: `${p.agent}:e2e-session:${seq}`,
      at: new Date(at).toISOString(),
      agent: p.agent,
      source: p.route === 'local' ? 'gateway' : 'log',
      project: 'webshop',
      model: p.model,
      route: p.route ?? 'cloud',
      replaces: p.replaces ?? null,
      tokens: tokens(p.t),
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
const sonnet = { input: 20_000, output: 9_000, cacheRead: 600_000, cacheWrite5m: 40_000 };
const ledgerRecords: Interaction[] = [
  // today
  rec(now - 3 * HOUR, { agent: 'claude-code', model: 'claude-sonnet-4-5', t: sonnet }),
  rec(now - 2 * HOUR, { agent: 'codex', model: 'gpt-5-codex', t: { input: 80_000, output: 12_000, cacheRead: 300_000, reasoning: 6_000 } }),
  rec(now - 1 * HOUR, { agent: 'claude-code', model: 'qwen3-coder:30b', route: 'local', replaces: 'claude-sonnet-4-5', t: sonnet }),
  rec(now - 30 * 60_000, { agent: 'claude-code', model: 'acme-coder-9', t: { input: 5_000, output: 1_000 } }), // unpriced
  // the recent days the projection's daily rate averages over
  ...[1, 2, 3, 4, 5, 6].flatMap((d) =>
    Array.from({ length: 8 }, (_, k) => rec(now - d * DAY - k * 10 * 60_000, { agent: 'claude-code', model: 'claude-opus-4-1', t: { input: 30_000, output: 15_000, cacheRead: 900_000, cacheWrite1h: 50_000 } })),
  ),
];

function meterWith(records: readonly Interaction[], budgetUSD: number | null): Meter {
  return computeMeter(records, { now: Date.now(), timeZone, budgetNanos: budgetUSD === null ? null : usdToNanos(budgetUSD) });
}

/** The three figures as the status bar spells them: today · saved · projection / budget. */
function figures(m: Meter): string {
  const projection = m.budgetNanos === null ? `${formatRough(m.projectedMonthNanos)} proj.` : `${formatRough(m.projectedMonthNanos)} / ${formatRough(m.budgetNanos)}`;
  return `${formatUSD(m.todayNanos)} today · ${formatUSD(m.avoidedTodayNanos)} saved · ${projection}`;
}

function hexToRgb(hex: string): string {
  const h = hex.replace('#', '');
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16));
  return `rgb(${r}, ${g}, ${b})`;
}

function assertShows(item: StatusBarItem, m: Meter): void {
  assert.match(item.text, /^\$\([\w-]+\) /, 'the item starts with an icon');
  assert.ok(item.text.endsWith(figures(m)), `status bar text ${JSON.stringify(item.text)} should end with ${JSON.stringify(figures(m))}`);
  assert.ok(item.ariaLabel.startsWith('Unmetered:'), `aria label ${JSON.stringify(item.ariaLabel)}`);
  for (const f of [formatUSD(m.todayNanos), formatUSD(m.avoidedTodayNanos), formatRough(m.projectedMonthNanos)]) {
    assert.ok(item.ariaLabel.includes(f), `aria label ${JSON.stringify(item.ariaLabel)} should spell out ${f}`);
  }
}

// With no budget the projection of this ledger; a budget of half of it puts the month over budget.
const projectedUSD = Math.round(meterWith(ledgerRecords, null).projectedMonthNanos / 1e9);
const overBudgetUSD = Math.max(1, Math.floor(projectedUSD / 2));

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
  const expected = meterWith(ledgerRecords, overBudgetUSD);
  // The ledger must exercise every figure, or this test could pass on zeros.
  assert.ok(expected.todayNanos > 0 && expected.avoidedTodayNanos > 0 && expected.projectedMonthNanos > 0);
  assert.equal(expected.budgetState, 'over');
  assert.equal(expected.unpriced.length, 1);

  const item = await vscode.waitForStatusBarItem(figures(expected));
  await vscode.screenshot('statusbar-over-budget');
  assertShows(item, expected);
  assert.ok(item.ariaLabel.includes(formatRough(expected.budgetNanos!)), `aria label names the budget: ${item.ariaLabel}`);
  assert.match(item.className, /\berror-kind\b/);
  assert.ok(item.themeColors.error, 'the theme defines statusBarItem.errorBackground');
  assert.equal(item.background, hexToRgb(item.themeColors.error));
});

test('a record appended by another process (the CLI, another window) reaches the status bar', async () => {
  const extra = rec(Date.now() - 60_000, { agent: 'codex', model: 'gpt-5-codex', t: { input: 400_000, output: 40_000 } });
  const before = meterWith(ledgerRecords, overBudgetUSD);
  const expected = meterWith([...ledgerRecords, extra], overBudgetUSD);
  assert.ok(expected.todayNanos > before.todayNanos);

  const ledger = await openLedger({ dir: vscode.dirs.unmeteredHome });
  const t0 = Date.now();
  await ledger.append([extra]);
  await ledger.close();
  ledgerRecords.push(extra);
  const item = await vscode.waitForStatusBarItem(figures(expected), 15_000);
  process.stderr.write(`[e2e] appended record shown after ${Date.now() - t0} ms\n`);
  assertShows(item, expected);
});

test('"Unmetered: Set Monthly Budget…" from the command palette saves the setting and recolours the item', async () => {
  // A budget the projection reaches 80–100 % of: the warning state.
  const projected = meterWith(ledgerRecords, null).projectedMonthNanos / 1e9;
  const budgetUSD = Math.ceil(projected / 0.9);
  const expected = meterWith(ledgerRecords, budgetUSD);
  assert.equal(expected.budgetState, 'warning', `projection ${projected} against ${budgetUSD}`);

  await vscode.runCommand('Unmetered: Set Monthly Budget');
  await vscode.answerInputBox(String(budgetUSD), 'Monthly Budget');

  const item = await vscode.waitForStatusBarItem(figures(expected));
  await vscode.screenshot('statusbar-warning-after-set-budget');
  assertShows(item, expected);
  assert.match(item.className, /\bwarning-kind\b/);
  assert.equal(item.background, hexToRgb(item.themeColors.warning));
  const settings = await vscode.readUserSettings();
  assert.equal(settings['unmetered.monthlyBudget'], budgetUSD);
  assert.equal(settings['unmetered.timezone'], timeZone);
});

test('hovering the item shows the breakdown by agent and model, the unpriced model, the projection method and command links', async () => {
  const expected = meterWith(ledgerRecords, (await vscode.readUserSettings())['unmetered.monthlyBudget'] as number);
  const text = await vscode.hoverStatusBarItem(`${formatUSD(expected.todayNanos)} today`);
  await vscode.screenshot('statusbar-tooltip');
  for (const b of [...expected.byAgent, ...expected.byModel]) assert.ok(text.includes(b.key), `tooltip lists ${b.key}:\n${text}`);
  assert.ok(text.includes(formatUSD(expected.monthToDateNanos)), `tooltip shows month to date ${formatUSD(expected.monthToDateNanos)}:\n${text}`);
  assert.match(text, /acme-coder-9/);
  assert.match(text, /unpriced/i);
  const squash = (t: string) => t.replace(/\s+/g, ' ');
  assert.ok(squash(text).includes(squash(expected.projectionMethod)), `tooltip states the projection method "${expected.projectionMethod}":\n${text}`);
  assert.match(text, /Set budget/);
});
