/**
 * Copilot Chat is billed by plan: its telemetry interactions show with tokens and an API-equivalent price, and stay
 * out of metered spend (today, month, projection, budget) unless unmetered.copilot.billedPerToken says otherwise.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeMeter, tooltipMarkdown } from '../../src/core/meter';
import { loadPriceTable, priceInteraction } from '../../src/core/pricing';
import { tokens, type Interaction } from '../../src/core/interaction';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const base = (over: Partial<Interaction>): Interaction => ({
  id: 'x',
  at: '2026-11-30T10:00:00.000Z',
  agent: 'codex',
  source: 'otel',
  project: null,
  model: 'gpt-4o',
  route: 'cloud',
  replaces: null,
  tokens: tokens({ input: 1_000_000, output: 100_000 }),
  costNanos: null,
  avoidedNanos: null,
  priceSource: null,
  estimated: false,
  ...over,
});

describe('Copilot Chat billing', { timeout: 10_000 }, () => {
  const prices = loadPriceTable();
  // gpt-4o in the snapshot: $2.50 per million input, $10 per million output.
  // 1,000,000 input → $2.50; 100,000 output → $1.00; each request $3.50 = 3_500_000_000 nanos.
  const codex = priceInteraction(base({ id: 'codex-1' }), prices);
  const copilot = priceInteraction(base({ id: 'copilot-chat:otel:chatcmpl-1', agent: 'copilot-chat' }), prices);

  test('priced at the API list price like any other interaction', () => {
    assert.equal(copilot.costNanos, 3_500_000_000);
  });

  test('kept out of spend and budget by default, shown apart as API-equivalent', () => {
    const m = computeMeter([codex, copilot], { now: NOW, timeZone: 'UTC', budgetNanos: 10_000_000_000 });
    assert.equal(m.todayNanos, 3_500_000_000, 'only Codex');
    assert.equal(m.monthToDateNanos, 3_500_000_000);
    assert.deepEqual(
      m.byAgent.map((b) => b.key),
      ['codex'],
    );
    assert.deepEqual(m.planEquivalent, { todayNanos: 3_500_000_000, monthNanos: 3_500_000_000, interactions: 1, unpriced: 0 });
    const tip = tooltipMarkdown(m, { timeZone: 'UTC' });
    assert.match(tip, /\*\*Copilot Chat:\*\* 1 request this month, \$3\.50 at API prices \(API-equivalent\) — billed by your Copilot plan/);
  });

  test('counted as spend when the user says Copilot is billed per token', () => {
    const m = computeMeter([codex, copilot], { now: NOW, timeZone: 'UTC', budgetNanos: null, copilotBilledPerToken: true });
    // 3.50 + 3.50 = $7.00
    assert.equal(m.todayNanos, 7_000_000_000);
    assert.equal(m.planEquivalent.interactions, 0);
    assert.doesNotMatch(tooltipMarkdown(m, { timeZone: 'UTC' }), /Copilot Chat:/);
  });
});
