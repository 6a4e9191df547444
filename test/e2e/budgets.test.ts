/**
 * Budgets in a real VS Code: the packaged .vsix in code-server, a ledger pre-filled in UNMETERED_HOME with
 * today's spend past the daily budget, headless Chromium reading what a person sees. Expected texts are
 * worked out here from the records' literal costs.
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
      },
      prepare: async (dirs) => {
        const ledger = await openLedger({ dir: dirs.unmeteredHome });
        // Today: $2.50 + $1.70 = $4.20 of a $4.00 daily budget (105 %).
        await ledger.append([rec(1, now - 3 * HOUR, 2.5), rec(2, now - 2 * HOUR, 1.7)]);
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

  test('the status bar says the daily cap sends requests to the local model, in words too', async () => {
    const item = await vscode.waitForStatusBarItem('daily cap: local');
    await vscode.screenshot('budget-fallback-statusbar');
    assert.match(item.text, /\$4\.20 .*· \$\(vm\) daily cap: local$/);
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
});
