import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Interaction } from '../../src/core/interaction';
import { interaction } from '../helpers/records';
import { openLedger } from '../../src/core/ledger';
import { cheaper, planCheck, vendorOfModel } from '../../src/core/plans/compare';
import { PLANS, normalisePlans } from '../../src/core/plans/plans';
import { fromCodexRateLimits } from '../../src/core/plans/limits';
import { runShipped } from '../helpers/cli';
import { buildDashboard } from '../../src/core/report/dashboard';

const USD = 1_000_000_000;
const now = Date.parse('2026-12-01T12:00:00Z');

function rec(id: string, at: string, model: string, usd: number | null, extra: Partial<Interaction> = {}): Interaction {
  return interaction(id, at, usd === null ? null : Math.round(usd * USD), { model, ...extra });
}

// The last 30 days run from 2026-11-01T12:00Z to 2026-12-01T12:00Z.
const records: Interaction[] = [
  rec('old', '2026-10-31T09:00:00Z', 'claude-opus-4-1', 500), // before the window: not counted
  rec('a1', '2026-11-10T09:00:00Z', 'claude-sonnet-4-5', 60),
  rec('a2', '2026-11-28T09:00:00Z', 'claude-sonnet-4-5-20250929', 70),
  rec('l1', '2026-11-29T09:00:00Z', 'qwen3-coder:30b', 0, {
    route: 'local',
    replaces: 'claude-sonnet-4-5',
    avoidedNanos: 90 * USD,
    priceSource: 'local',
  }),
  rec('o1', '2026-11-20T09:00:00Z', 'gpt-5-codex', 15, { agent: 'codex' }),
  rec('g1', '2026-11-21T09:00:00Z', 'gemini-2.5-pro', 5, { agent: 'gemini-cli' }),
  rec('late', '2026-12-01T12:00:00Z', 'claude-sonnet-4-5', 1000), // at the window's end: not counted
];

describe('the plan check', { timeout: 60_000 }, () => {
  test('which vendor a model belongs to', async () => {
    assert.equal(vendorOfModel('claude-sonnet-4-5-20250929'), 'anthropic');
    assert.equal(vendorOfModel('anthropic/claude-3-haiku'), 'anthropic');
    assert.equal(vendorOfModel('gpt-5-codex'), 'openai');
    assert.equal(vendorOfModel('o3-mini'), 'openai');
    assert.equal(vendorOfModel('openai/o4-mini'), 'openai');
    assert.equal(vendorOfModel('gemini-2.5-pro'), 'other');
    assert.equal(vendorOfModel('qwen3-coder:30b'), 'other');
    assert.equal(vendorOfModel(null), 'other');
  });

  test('the cheaper choice is the largest plan priced at or below the API bill, else the API', async () => {
    const claude = PLANS.filter((p) => p.vendor === 'anthropic');
    assert.deepEqual(cheaper(19.99 * USD, claude), { choice: 'api', label: 'API (pay per token)', costNanos: 19.99 * USD, savesNanos: 0 });
    assert.equal(cheaper(20 * USD, claude).choice, 'claude-pro'); // exactly the price: the plan
    assert.deepEqual(cheaper(150 * USD, claude), {
      choice: 'claude-max-5x',
      label: 'Claude Max 5x',
      costNanos: 100 * USD,
      savesNanos: 50 * USD,
    });
    assert.equal(cheaper(5000 * USD, claude).savesNanos, 4800 * USD);
  });

  test('hand-worked month: with and without the local route, per vendor and for Copilot', async () => {
    const c = planCheck([...records, rec('u1', '2026-11-22T09:00:00Z', 'gpt-9-unknown', null, { agent: 'codex' })], {
      now,
      plans: normalisePlans({ 'claude-code': 'claude-max-5x' }).value,
    });
    assert.equal(c.from, '2026-11-01T12:00:00.000Z');
    const [anthropic, openai, all] = c.rows;
    // Anthropic: $60 + $70 = $130 metered; $90 avoided. With local: Max 5x ($100 ≤ $130 < $200) saves $30.
    // Without local: $130 + $90 = $220 → Max 20x ($200) saves $20.
    assert.equal(anthropic.apiNanos, 130 * USD);
    assert.equal(anthropic.avoidedNanos, 90 * USD);
    assert.equal(anthropic.interactions, 3);
    assert.equal(anthropic.current?.id, 'claude-max-5x');
    assert.deepEqual([anthropic.withLocal.choice, anthropic.withLocal.savesNanos], ['claude-max-5x', 30 * USD]);
    assert.deepEqual([anthropic.withoutLocal.choice, anthropic.withoutLocal.savesNanos], ['claude-max-20x', 20 * USD]);
    // OpenAI: $15 (one unpriced, not counted) is below ChatGPT Plus's $20: the API is cheaper either way.
    assert.equal(openai.apiNanos, 15 * USD);
    assert.equal(openai.unpriced, 1);
    assert.equal(openai.withLocal.choice, 'api');
    assert.equal(openai.withoutLocal.choice, 'api');
    assert.equal(openai.current, null);
    // All: $130 + $15 + $5 = $150 → Copilot Pro+ ($39) saves $111; without local $240 → saves $201.
    assert.equal(all.apiNanos, 150 * USD);
    assert.equal(all.interactions, 6);
    assert.deepEqual([all.withLocal.choice, all.withLocal.savesNanos], ['copilot-pro-plus', 111 * USD]);
    assert.deepEqual([all.withoutLocal.choice, all.withoutLocal.savesNanos], ['copilot-pro-plus', 201 * USD]);
  });

  test("the dashboard's Plan card carries the same figures and names agents on a plan as API-equivalent", async () => {
    const plans = normalisePlans({ 'claude-code': 'claude-max-5x' }).value;
    const d = buildDashboard(records, { now, timeZone: 'UTC', budgetNanos: null, plans });
    const a = d.plan!.rows[0];
    assert.equal(a.apiEquivalentUSD, 130);
    assert.deepEqual(a.withoutLocal, { choice: 'claude-max-20x', label: 'Claude Max 20x', costUSD: 200, savesUSD: 20 });
    assert.deepEqual(d.agentLabels, { 'claude-code': 'claude-code (Claude Max 5x, API-equivalent)' });
    assert.equal(buildDashboard(records, { now, timeZone: 'UTC', budgetNanos: null }).plan, undefined, 'no plan settings, no card data');
  });

  test('unmetered.plans: bad entries are dropped with a warning that says what was expected', async () => {
    const r = normalisePlans({ 'claude-code': 'claude-max-5x', codex: 'chatgpt-ultra', 'Bad Agent!': 'api', cline: 'api' });
    assert.deepEqual(r.value, { 'claude-code': 'claude-max-5x' });
    assert.equal(r.warnings.length, 2);
    assert.match(
      r.warnings[0],
      /unmetered\.plans\.codex: expected one of api, claude-pro, .* got "chatgpt-ultra"; codex is taken as billed per token/,
    );
    assert.match(r.warnings[1], /"Bad Agent!" is not an agent name/);
    assert.deepEqual(normalisePlans('max').value, {});
    assert.match(normalisePlans([1]).warnings[0], /expected an object/);
  });
});

describe('unmetered plan and status (the shipped CLI)', { timeout: 60_000 }, () => {
  let home: string;
  let logs: string;
  // The shipped bundle, run in this process (test/helpers/cli.ts).
  const run = (args: string[]) =>
    runShipped(args, {
      env: {
        PATH: process.env.PATH,
        UNMETERED_HOME: home,
        HOME: logs,
        CLAUDE_CONFIG_DIR: path.join(logs, 'claude'),
        CODEX_HOME: path.join(logs, 'codex'),
        UNMETERED_TZ: 'Europe/Berlin',
        UNMETERED_NOW: '2026-12-01T12:00:00Z',
      },
    });
  before(async () => {
    home = mkdtempSync(path.join(os.tmpdir(), 'unmetered-plan-'));
    logs = mkdtempSync(path.join(os.tmpdir(), 'unmetered-plan-home-'));
    writeFileSync(path.join(home, 'settings.json'), JSON.stringify({ plans: { 'claude-code': 'claude-max-5x', codex: 'nope' } }));
    const ledger = await openLedger({ dir: home });
    const limits = fromCodexRateLimits(
      { primary: { used_percent: 42, window_minutes: 300, resets_at: 1796139600 }, secondary: null, plan_type: 'plus' },
      Date.parse('2026-12-01T11:58:00Z'),
    );
    await ledger.append([
      ...records,
      rec('o2', '2026-12-01T11:58:00Z', 'gpt-5-codex', 0.5, { agent: 'codex', rateLimits: limits } as object),
    ]);
    await ledger.close();
  });
  after(() => {
    rmSync(home, { recursive: true, force: true });
    rmSync(logs, { recursive: true, force: true });
  });

  test('plan --json: the figures above, the plans with their sources; a bad plan setting warns on stderr', async () => {
    const r = await run(['plan', '--json', '--no-scan']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /unmetered\.plans\.codex: expected one of/);
    const j = JSON.parse(r.stdout);
    assert.equal(j.pricesAsOf, '2026-12-01');
    const a = j.rows[0];
    assert.equal(a.apiEquivalentUSD, 130);
    assert.equal(a.avoidedUSD, 90);
    assert.equal(a.currentPlan, 'claude-max-5x');
    assert.deepEqual(a.withLocal, { choice: 'claude-max-5x', label: 'Claude Max 5x', costUSD: 100, savesUSD: 30 });
    assert.deepEqual(a.withoutLocal, { choice: 'claude-max-20x', label: 'Claude Max 20x', costUSD: 200, savesUSD: 20 });
    assert.equal(a.plans[0].source, 'https://claude.com/pricing');
    // OpenAI: $15 + $0.50 today = $15.50, still below Plus's $20.
    assert.equal(j.rows[1].apiEquivalentUSD, 15.5);
    assert.equal(j.rows[1].withLocal.choice, 'api');
  });

  test('plan (text) says which is cheaper, with and without the local route', async () => {
    const r = await run(['plan', '--no-scan']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Plan check · the last 30 days \(2026-11-01 to 2026-12-01\) · plan prices as of 2026-12-01$/m);
    assert.match(r.stdout, /^Anthropic models \(Claude plans\) · your plan: Claude Max 5x \(\$100\.00\/mo\)$/m);
    assert.match(
      r.stdout,
      /^ {2}With the local route: {4}Claude Max 5x \(\$100\.00\/mo\) is cheaper than the API \(\$130\.00\) by \$30\.00$/m,
    );
    assert.match(r.stdout, /^ {2}Without it: {14}Claude Max 20x \(\$200\.00\/mo\) is cheaper than the API \(\$220\.00\) by \$20\.00$/m);
    assert.match(r.stdout, /^ {2}With the local route: {4}the API \(\$15\.50\) is cheaper than every plan \(from \$20\.00\/mo\)$/m);
  });

  test('report names an agent on a plan as API-equivalent in its agent table', async () => {
    const r = await run(['report', '--no-scan', '--since', '2026-11-01', '--until', '2026-11-30']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^claude-code \(Claude Max 5x, API-equivalent\) +\$130\.00 /m);
  });

  test('status shows the plan limits last reported and names agents on a plan as API-equivalent', async () => {
    const r = await run(['status', '--no-scan']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /claude-code \(Claude Max 5x, API-equivalent\)/);
    // 1796139600 s = 15:40Z = 16:40 in Berlin; seen 11:58Z = 12:58 in Berlin.
    assert.match(
      r.stdout,
      /^Plan limits \(as the vendors last reported them\)\n {2}codex \(plan: plus\): 5 h: 42 % · resets 16:40 {2}\(seen 12:58\)$/m,
    );
    const j = JSON.parse((await run(['status', '--json', '--no-scan'])).stdout);
    assert.deepEqual(j.planLimits[0].windows, [
      { key: '5h', usedPercent: 42, windowMinutes: 300, resetsAt: '2026-12-01T15:40:00.000Z', status: null },
    ]);
  });
});
