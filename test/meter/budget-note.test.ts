import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeMeter, statusView } from '../../src/core/meter';
import { tokens } from '../../src/core/interaction';

describe('the status bar says when a budget cap acts', { timeout: 10_000 }, () => {
  const now = Date.parse('2026-11-23T12:00:00Z');
  // $2 spent today, $0.30 avoided by a fallback: no earlier history, so the rate is today's $2 and the
  // projection is $2 + 7 days left × $2 = $16.
  const m = computeMeter(
    [
      {
        id: 'c',
        at: '2026-11-23T09:00:00Z',
        agent: 'claude-code',
        source: 'log',
        project: 'p',
        model: 'claude-sonnet-4-5',
        route: 'cloud',
        replaces: null,
        tokens: tokens({ input: 1 }),
        costNanos: 2_000_000_000,
        avoidedNanos: null,
        priceSource: 'x',
        estimated: false,
      },
      {
        id: 'l',
        at: '2026-11-23T10:00:00Z',
        agent: 'claude-code',
        source: 'gateway',
        project: null,
        model: 'qwen3-coder:30b',
        route: 'local',
        replaces: 'claude-sonnet-4-5',
        tokens: tokens({ input: 1 }),
        costNanos: 0,
        avoidedNanos: 300_000_000,
        priceSource: 'local',
        estimated: false,
        budgetAction: { action: 'fallback', budget: 'daily' },
      },
    ],
    { now, timeZone: 'UTC', budgetNanos: null },
  );

  test('the note is part of the text and of the accessibility label', () => {
    const v = statusView(m, {
      routeIcon: '$(cloud)',
      budgetNote: {
        text: '$(vm) daily cap: local',
        words: 'the daily budget is used up: the gateway serves cloud requests with the local model',
      },
    });
    assert.equal(v.text, '$(cloud) $2.00 · $0.30 saved · $(vm) daily cap: local');
    assert.match(v.ariaLabel, /, the daily budget is used up: the gateway serves cloud requests with the local model$/);
  });

  test('without a note nothing changes', () => {
    assert.equal(statusView(m, { routeIcon: '$(cloud)' }).text, '$(cloud) $2.00 · $0.30 saved');
  });
});
