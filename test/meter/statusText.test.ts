import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeMeter, statusView, tooltipMarkdown, formatRough, formatCompact } from '../../src/core/meter';
import { tokens, type Interaction } from '../../src/core/interaction';
import { normaliseMeterSettings, parseBudgetInput } from '../../src/core/meter/settings';

const USD = 1_000_000_000;
const now = Date.parse('2026-11-23T12:00:00Z');
function rec(id: string, at: string, nanos: number | null, extra: Partial<Interaction> = {}): Interaction {
  return {
    id,
    at,
    agent: 'claude-code',
    source: 'log',
    project: 'p',
    model: 'claude-sonnet-4-5',
    route: 'cloud',
    replaces: null,
    tokens: tokens({ input: 1 }),
    costNanos: nanos,
    avoidedNanos: null,
    priceSource: 'x',
    estimated: false,
    ...extra,
  };
}
// 7 complete days at $8.50 and $3.42 today, $1.10 avoided today → projection 59.5 + 8.5 + 7×8.5 = 127.5 … use budget 100
const history: Interaction[] = [];
for (let d = 16; d <= 22; d++) history.push(rec(`h${d}`, `2026-11-${d}T10:00:00Z`, 8.5 * USD));
history.push(rec('t1', '2026-11-23T09:00:00Z', 3.42 * USD));
history.push(
  rec('l1', '2026-11-23T10:00:00Z', 0, {
    route: 'local',
    model: 'qwen3-coder:30b',
    replaces: 'claude-sonnet-4-5',
    avoidedNanos: 1.1 * USD,
  }),
);

test('the status bar text shows today, saved today, and projection against the budget at a glance', () => {
  const m = computeMeter(history, { now, timeZone: 'UTC', budgetNanos: 200 * USD });
  const v = statusView(m);
  // MTD before today 59.5; today at max(3.42, 8.5) = 8.5; + 7 × 8.5 → 127.5 → "$128"
  assert.equal(v.text, '$(pulse) $3.42 · $1.10 saved · $128/$200');
  assert.equal(v.background, null);
  assert.equal(
    v.ariaLabel,
    'Unmetered: $3.42 spent today, $1.10 saved by local models today, projected $128 this month against a budget of $200',
  );
});

test('warning and error backgrounds follow the budget state; with no budget the bar shows no projection', () => {
  assert.equal(statusView(computeMeter(history, { now, timeZone: 'UTC', budgetNanos: 150 * USD })).background, 'warning');
  const over = statusView(computeMeter(history, { now, timeZone: 'UTC', budgetNanos: 100 * USD }));
  assert.equal(over.background, 'error');
  assert.match(over.ariaLabel, /over budget/);
  const none = statusView(computeMeter(history, { now, timeZone: 'UTC', budgetNanos: null }));
  assert.equal(none.text, '$(pulse) $3.42 · $1.10 saved'); // the projection is in the tooltip
  assert.equal(none.background, null);
});

test('the tooltip has the breakdown, the projection method, unpriced models and command links', () => {
  const withUnpriced = [...history, rec('u1', '2026-11-23T11:00:00Z', null, { model: 'sonnet-5' })];
  const md = tooltipMarkdown(computeMeter(withUnpriced, { now, timeZone: 'UTC', budgetNanos: 100 * USD }), {
    timeZone: 'UTC',
    commands: { setBudget: 'unmetered.setBudget', openDashboard: 'unmetered.openDashboard' },
  });
  assert.match(md, /\| Metered spend \| \$3\.42 \| \$62\.92 \|/);
  assert.match(md, /\| Saved by local models \| \$1\.10 \| \$1\.10 \|/);
  assert.match(md, /\$128 of \$100 budget \(128 %\) — \*\*over budget\*\*/);
  assert.match(md, /\| claude\\-code \| \$3\.42 \| \$62\.92 \(\+1 unpriced\) \| 10 \|/);
  assert.match(md, /\| sonnet\\-5 \| unpriced \| unpriced \| 1 \|/);
  assert.match(md, /\*\*Unpriced:\*\* sonnet\\-5 \(1\)/);
  assert.match(md, /\*Projection:\* Month to date/);
  assert.match(md, /\[\$\(credit-card\) Budget\]\(command:unmetered\.setBudget\)/);
  assert.match(md, /command:unmetered\.openDashboard/);
  assert.doesNotMatch(md, /exportWeekly/);
});

test('the status bar drops what is zero or not in use: no saved part without local use, no projection without a budget', () => {
  const cloudOnly = history.filter((r) => r.route === 'cloud');
  // same history without the local interaction: $3.42 today, projection $128 as above
  assert.equal(statusView(computeMeter(cloudOnly, { now, timeZone: 'UTC', budgetNanos: null })).text, '$(pulse) $3.42');
  assert.equal(statusView(computeMeter([], { now, timeZone: 'UTC', budgetNanos: null }), { routeIcon: '$(cloud)' }).text, '$(cloud) $0.00');
  // a budget is always shown against the projection, even at $0, so the user sees it is set
  assert.equal(statusView(computeMeter([], { now, timeZone: 'UTC', budgetNanos: 100 * USD })).text, '$(pulse) $0.00 · $0.00/$100');
  // the accessibility label still names every figure
  assert.equal(
    statusView(computeMeter(cloudOnly, { now, timeZone: 'UTC', budgetNanos: null })).ariaLabel,
    'Unmetered: $3.42 spent today, $0.00 saved by local models today, projected $128 this month, no budget set',
  );
});

test('the tooltip fits on a laptop screen: three rows per breakdown, the rest counted and left to the dashboard', () => {
  const many: Interaction[] = [];
  for (let i = 0; i < 12; i++) many.push(rec(`m${i}`, '2026-11-23T09:00:00Z', (i + 1) * USD, { agent: `agent-${i}`, model: `model-${i}` }));
  for (let i = 0; i < 5; i++) many.push(rec(`u${i}`, '2026-11-23T09:00:00Z', null, { model: `mystery-${i}` }));
  const md = tooltipMarkdown(computeMeter(many, { now, timeZone: 'UTC', budgetNanos: null }), { timeZone: 'UTC' });
  // most expensive first: agent-11 ($12), agent-10 ($11), agent-9 ($10); 12 agents + claude-code = 13 → 10 more
  assert.match(
    md,
    new RegExp(
      /\| agent\\-11 \| \$12\.00 \| \$12\.00 \| 1 \|\n\| agent\\-10 \| \$11\.00 \| \$11\.00 \| 1 \|\n/.source +
        /\| agent\\-9 \| \$10\.00 \| \$10\.00 \| 1 \|\n\| \*10 more in the dashboard\* \|/.source,
    ),
  );
  assert.match(md, /\*\*Unpriced:\*\* mystery\\-0 \(1\), mystery\\-1 \(1\), mystery\\-2 \(1\) and 2 more/);
  assert.doesNotMatch(md, /Saved by local models/, 'no saved row when nothing ran locally this month');
  const lines = md.split('\n').length;
  assert.ok(lines <= 26, `at most 26 lines, got ${lines}:\n${md}`);
});

test('rough figures round to whole dollars from $10 and keep cents below', () => {
  assert.equal(formatRough(68.4 * USD), '$68');
  assert.equal(formatRough(1234.5 * USD), '$1,235');
  assert.equal(formatRough(4.2 * USD), '$4.20');
  assert.equal(formatRough(0), '$0.00');
});

test('settings: bad values fall back to defaults with a warning naming the setting', () => {
  assert.deepEqual(normaliseMeterSettings({ monthlyBudget: 100, timezone: 'Europe/Berlin' }), {
    value: { budgetNanos: 100 * USD, timeZone: 'Europe/Berlin' },
    warnings: [],
  });
  const bad = normaliseMeterSettings({ monthlyBudget: -5, timezone: 'Mars/Olympus' });
  assert.deepEqual(bad.value, { budgetNanos: null, timeZone: null });
  assert.equal(bad.warnings.length, 2);
  assert.match(bad.warnings[0], /^unmetered\.monthlyBudget: expected .* got -5/);
  assert.match(bad.warnings[1], /^unmetered\.timezone: expected .* got "Mars\/Olympus"/);
  assert.deepEqual(normaliseMeterSettings({ monthlyBudget: 0 }).value.budgetNanos, null);
});

test('budget input accepts what people type', () => {
  assert.deepEqual(parseBudgetInput(' $1,250.5 '), { usd: 1250.5 });
  assert.deepEqual(parseBudgetInput(''), { usd: null });
  assert.ok('error' in parseBudgetInput('lots'));
  assert.ok('error' in parseBudgetInput('-3'));
});

test('four-digit figures in the status bar are shortened to thousands, one decimal below $100k', () => {
  assert.equal(formatCompact(999.4 * USD), '$999'); // below $1,000: whole dollars, as formatRough
  assert.equal(formatCompact(999.6 * USD), '$1k'); // rounds to $1,000: 1.0 → "1k"
  assert.equal(formatCompact(1_000 * USD), '$1k');
  assert.equal(formatCompact(1_234 * USD), '$1.2k'); // 1.234 → 1.2
  assert.equal(formatCompact(5_387 * USD), '$5.4k'); // 5.387 → 5.4
  assert.equal(formatCompact(12_345 * USD), '$12.3k');
  assert.equal(formatCompact(250_000 * USD), '$250k'); // 250 ≥ 100: no decimal
  assert.equal(formatCompact(1_000_000 * USD), '$1M');
  assert.equal(formatCompact(4.2 * USD), '$4.20');
  const big = computeMeter(history, { now, timeZone: 'UTC', budgetNanos: 1_000 * USD });
  // projection $128 as above, against $1,000
  assert.equal(statusView(big).text, '$(pulse) $3.42 · $1.10 saved · $128/$1k');
});
