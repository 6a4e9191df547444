/**
 * Budgets and plan limits in a real VS Code: the packaged .vsix in code-server, a ledger pre-filled in
 * UNMETERED_HOME with today's spend past the daily budget and the plan-limit state Claude's answers carried
 * (the ledger extra `rateLimits`), headless Chromium reading what a person sees. Expected texts are worked
 * out here from the records' literal costs and limits.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { tokens, type Interaction } from '../../src/core/interaction';
import { openLedger } from '../../src/core/ledger';
import { startVSCode, type VSCodeSession } from './harness';

const HOUR = 3_600_000;
const now = Date.now();
/** A fixed-offset zone in which it is about noon now, so records a few hours old are "today" whenever this runs. */
const offset = 12 - new Date(now).getUTCHours();
const timeZone = offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;

const rec = (i: number, at: number, costUSD: number): Interaction => ({
  id: `claude-code:e2e-budget:${i}`,
  at: new Date(at).toISOString(),
  agent: 'claude-code',
  source: 'log',
  project: 'webshop',
  model: 'claude-sonnet-4-5',
  route: 'cloud',
  replaces: null,
  tokens: tokens({ input: 1000, output: 100 }),
  costNanos: Math.round(costUSD * 1e9),
  avoidedNanos: null,
  priceSource: 'e2e literal',
  estimated: false,
});

/** The top of this hour in the zone above is 12:00 there, so 2 h 40 min later reads "14:40" (same minutes in every whole-hour zone). */
const resetsAt = new Date(Math.floor(now / HOUR) * HOUR + 2 * HOUR + 40 * 60_000).toISOString();
/** As the gateway records Anthropic's unified rate-limit headers (core/plans/limits.ts), seen two hours ago. */
const rateLimits = {
  at: new Date(now - 2 * HOUR).toISOString(),
  from: 'anthropic-headers',
  status: 'allowed',
  resetsAt,
  plan: null,
  windows: [
    { key: '5h', usedPercent: 42, windowMinutes: 300, resetsAt, status: 'allowed' },
    { key: '7d', usedPercent: 18, windowMinutes: 10_080, resetsAt: new Date(now + 3 * 24 * HOUR).toISOString(), status: 'allowed' },
  ],
};

let vscode: VSCodeSession;

async function notifications(): Promise<string[]> {
  return vscode.page.evaluate(
    `[...document.querySelectorAll('.notifications-toasts .notification-list-item-message')].map((e) => e.textContent || '')`,
  ) as Promise<string[]>;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last as T;
    await vscode.page.waitForTimeout(250);
  }
  throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`);
}

describe('budgets in VS Code', { timeout: 240_000 }, () => {
  before(async () => {
    vscode = await startVSCode({
      settings: {
        'unmetered.timezone': timeZone,
        'unmetered.dailyBudget': 4,
        'unmetered.budgetEnforcement': { daily: 'fallback' },
        'unmetered.localModel': 'qwen3-coder:30b',
        'unmetered.plans': { 'claude-code': 'claude-max-5x' },
      },
      prepare: async (dirs) => {
        const ledger = await openLedger({ dir: dirs.unmeteredHome });
        // Today: $2.50 + $1.70 = $4.20 of a $4.00 daily budget (105 %).
        await ledger.append([rec(1, now - 3 * HOUR, 2.5), { ...rec(2, now - 2 * HOUR, 1.7), rateLimits } as Interaction]);
        await ledger.close();
      },
    });
  });
  after(async () => {
    await vscode?.close();
  });

  test('the highest threshold crossed is said once, naming the budget and what the gateway now does', async () => {
    // The status bar note and the notice come from the same check, a moment after the ledger is read: on a
    // loaded machine that can take a while, so wait for the note first.
    await vscode.waitForStatusBarItem('daily cap: local', 120_000);
    const shown = await waitFor('the budget notification', async () => {
      const list = (await notifications()).filter((n) => n.includes('daily budget'));
      return list.length ? list : undefined;
    });
    await vscode.screenshot('budget-threshold-notification');
    // 50, 80 and 100 % are all crossed at once: only 100 % is said.
    assert.deepEqual(shown, [
      'Unmetered: 100 % of the daily budget is spent ($4.20 of $4.00 today). Agents routed through the gateway now run on the local model.',
    ]);
  });

  test('the status bar says the daily cap sends requests to the local model, in words too, and the plan window most used', async () => {
    const item = await vscode.waitForStatusBarItem('daily cap: local');
    await vscode.screenshot('budget-fallback-statusbar');
    // 42 % of the 5-hour window is the most used of the two windows Claude reported.
    assert.match(item.text, /\$4\.20 .*· \$\(vm\) daily cap: local · 5 h: 42 % · resets 14:40$/);
    assert.ok(item.ariaLabel.includes('plan limit 5 h: 42 % · resets 14:40'), item.ariaLabel);
    assert.ok(
      item.ariaLabel.includes('the daily budget is used up: the gateway serves cloud requests with the local model'),
      item.ariaLabel,
    );
  });

  test('the hover lists the budget with its share spent', async () => {
    const text = await vscode.hoverStatusBarItem('daily cap');
    // $4.20 / $4.00 = 105 %.
    assert.match(text, /daily\s*\$4\.20 of \$4\.00 \(105 %\) · at the cap: fallback/);
  });

  test('the hover lists the plan limits per window for the agent on Claude Max 5x', async () => {
    const text = await vscode.hoverStatusBarItem('daily cap');
    await vscode.screenshot('plan-limits-tooltip');
    assert.match(text, /Plan limits/);
    assert.match(text, /claude-code \(Claude Max 5x\)\s*5 h\s*42 %\s*14:40/);
    // The week resets in three days: shown with its weekday, at the same minutes.
    assert.match(text, /claude-code \(Claude Max 5x\)\s*week\s*18 %\s*[A-Z][a-z]{2} \d\d:\d\d/);
  });
});
