import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PAGE_COMMANDS, parsePageMessage, parsePageState } from '../../src/core/report/dashboard-protocol';

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
});
