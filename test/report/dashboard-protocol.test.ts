import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildDashboard } from '../../src/core/report/dashboard';
import { PAGE_COMMANDS, parseHostMessage, parsePageMessage, parsePageState } from '../../src/core/report/dashboardProtocol';
import { BUDGET_NANOS, fixedLedger, TZ } from './ledger';

describe('the dashboard page ↔ extension messages', { timeout: 10_000 }, () => {
  it("accepts the page's two messages and only the commands it may name", () => {
    assert.deepEqual(parsePageMessage({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parsePageMessage({ type: 'command', command: 'setBudget' }), { type: 'command', command: 'setBudget' });
    assert.equal(PAGE_COMMANDS.setBudget, 'unmetered.setBudget');
    assert.equal(PAGE_COMMANDS.exportWeekly, 'unmetered.exportWeeklySummary');
  });

  it('refuses anything else: an arbitrary command id, an inherited property name, a non-object', () => {
    for (const m of [
      { type: 'command', command: 'workbench.action.terminal.sendSequence' },
      { type: 'command', command: 'toString' },
      { type: 'command', command: '__proto__' },
      { type: 'command' },
      { type: 'model' },
      null,
      'ready',
      42,
    ]) {
      assert.equal(parsePageMessage(m), null, JSON.stringify(m));
    }
  });

  it('restores the chosen period after a reload, and falls back to the month for a state that is not ours', () => {
    assert.deepEqual(parsePageState({ period: 'week' }), { period: 'week' });
    assert.deepEqual(parsePageState(undefined), { period: 'month' });
    assert.deepEqual(parsePageState({ period: 'year' }), { period: 'month' });
  });

  it('the page draws the model the extension sends, with or without plans, and nothing else', () => {
    const now = Date.parse('2026-11-19T15:00:00.000Z');
    const model = buildDashboard(fixedLedger(), { now, timeZone: TZ, budgetNanos: BUDGET_NANOS });
    const withPlans = buildDashboard(fixedLedger(), { now, timeZone: TZ, budgetNanos: null, plans: { 'claude-code': 'claude-pro' } });
    assert.ok(withPlans.plan, 'the plan card is part of the model when plans are set');
    // Through postMessage the model arrives as a structured clone: JSON shows the same data.
    for (const m of [model, withPlans]) {
      const sent = JSON.parse(JSON.stringify({ type: 'model', model: m }));
      assert.deepEqual(parseHostMessage(sent), sent);
    }
    const broken = (edit: (m: any) => void) => {
      const m = JSON.parse(JSON.stringify(model));
      edit(m);
      return { type: 'model', model: m };
    };
    for (const m of [
      { type: 'model' },
      { type: 'ready', model },
      broken((m) => delete m.periods.week),
      broken((m) => (m.periods.today.agents = null)),
      broken((m) => (m.month.days = 'none')),
      broken((m) => (m.recent = [null])),
      broken((m) => (m.plan = { rows: 3 })),
      null,
      'model',
    ]) {
      assert.equal(parseHostMessage(m), null, JSON.stringify(m)?.slice(0, 80));
    }
  });
});
