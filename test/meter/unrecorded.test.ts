/** Where a log cannot tell the model or the project, the tooltip and the reports say so instead of a placeholder. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tokens, type Interaction } from '../../src/core/interaction';
import { computeMeter, tooltipMarkdown } from '../../src/core/meter';
import { buildWeeklySummary, renderHtml, renderMarkdown } from '../../src/core/report';
import { meterText } from '../../src/cli/status';

const now = Date.parse('2026-11-23T12:00:00Z');
function rec(id: string, extra: Partial<Interaction>): Interaction {
  return {
    id,
    at: '2026-11-23T09:00:00.000Z',
    agent: 'gemini-cli',
    source: 'log',
    project: 'api',
    model: 'gemini-2.5-pro',
    route: 'cloud',
    replaces: null,
    tokens: tokens({ input: 1000 }),
    costNanos: 1_250_000,
    avoidedNanos: null,
    priceSource: 'x',
    estimated: false,
    ...extra,
  };
}
const records = [
  rec('a', {}),
  rec('b', { model: 'unknown', costNanos: null, priceSource: null }),
  rec('c', { model: 'unknown', costNanos: null, priceSource: null, project: null }),
  rec('d', { model: 'mystery-9', costNanos: null, priceSource: null }),
];

describe('unrecorded model and project', { timeout: 30_000 }, () => {
  it('the tooltip shows "model not recorded", and offers a price only for models the log named', () => {
    const md = tooltipMarkdown(computeMeter(records, { now, timeZone: 'UTC', budgetNanos: null }), { timeZone: 'UTC' });
    assert.match(md, /\| model not recorded \| unpriced \| unpriced \| 2 \|/);
    assert.match(md, /\*\*Unpriced:\*\* mystery\\-9 \(1\) — not counted in the totals; add a price/);
    assert.match(
      md,
      /\*\*Model not recorded:\*\* 2 interactions with the model not recorded in the agent's log: not priced, not included in the cost\\\./,
    );
    assert.doesNotMatch(md, /\| unknown \|/);
    assert.doesNotMatch(md, /Unpriced:\*\*[^\n]*unknown/);
  });

  it('the weekly Markdown and HTML say "model not recorded" and "(project not recorded)", with a note on each', () => {
    const s = buildWeeklySummary(records, {
      week: '2026-W48',
      timeZone: 'UTC',
      budgetNanos: null,
      now,
      developer: 'dev',
      priceTableVersion: 'snapshot-2026-11',
    });
    assert.equal(s.models.find((m) => m.model === 'unknown')?.interactions, 2, 'the data keeps the stored value');
    assert.equal(s.projects.find((p) => p.project === null)?.interactions, 1);
    const md = renderMarkdown(s);
    assert.match(md, /\| model not recorded \| unpriced \|/);
    assert.match(md, /\| \(project not recorded\) \| unpriced \|/);
    assert.match(md, /- Unpriced, not included in the cost: mystery-9 \(1 interaction\)\./);
    assert.match(md, /- 2 interactions with the model not recorded in the agent's log: not priced, not included in the cost\./);
    assert.match(md, /- \(project not recorded\): the agents' logs do not say which project these interactions belong to\./);
    assert.doesNotMatch(md, /unknown|no project/);
    const html = renderHtml(s);
    assert.match(html, /<td>model not recorded<\/td>/);
    assert.match(html, /<td>\(project not recorded\)<\/td>/);
    assert.doesNotMatch(html, />unknown<|no project/);
  });

  it('unmetered status says "model not recorded" and offers no price for it', () => {
    const text = meterText(computeMeter(records, { now, timeZone: 'UTC', budgetNanos: null }), 'UTC');
    assert.match(text, /\n {2}model not recorded +unpriced +2 calls\n/);
    assert.match(text, /Unpriced models \(not in the totals\): mystery-9 \(1\)\n/);
    assert.match(text, /2 interactions with the model not recorded in the agent's log/);
    assert.doesNotMatch(text, /unknown/);
  });
});
