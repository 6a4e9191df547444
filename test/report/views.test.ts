/**
 * Every view adds up to `report --json` (buildReport, what it prints) for the same range: over
 * random ranges and a random corpus from a fixed seed, the view's totals equal the report's, and
 * its rows sum to them exactly (nano-dollars and tokens). Blocks hold Claude Code's records only, so
 * they add up to the report's claude-code agent row.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildReport, reportJson } from '../../src/core/report/report';
import { tokens, type Interaction } from '../../src/core/interaction';
import { buildBlocks } from '../../src/core/report/blocks';
import { usdToNanosExact, type Totals } from '../../src/core/report/totals';
import { buildView, sessionOf, VIEW_KINDS } from '../../src/core/report/views';
import { addDays, dayOfIso } from '../../src/core/time';

/** mulberry32: a small seeded generator, so a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const AGENTS = ['claude-code', 'codex', 'gemini-cli', 'cline'];
const PROJECTS = ['webapp', 'api', 'docs', null];
const MODELS = ['claude-sonnet-4-5', 'gpt-5', 'gemini-2.5-pro', 'acme-coder-9'];
/** undefined: the source did not record it (the branch and repo views' "not recorded" rows). */
const BRANCHES = ['main', 'feature/a', 'fix/b', undefined];
const REPOS = ['github.com/acme/webapp', 'gitlab.com/acme/api', undefined];

function randomCorpus(rand: () => number, n: number): Interaction[] {
  const start = Date.parse('2026-02-20T00:00:00Z');
  const span = 50 * 86_400_000;
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  return Array.from({ length: n }, (_, i) => {
    const agent = pick(AGENTS);
    const model = pick(MODELS);
    const local = rand() < 0.1;
    const at = new Date(start + Math.floor(rand() * span)).toISOString();
    const id =
      agent === 'codex'
        ? `codex:rollout-${i % 7}:${Date.parse(at)}:${i}`
        : agent === 'claude-code'
          ? `anthropic:msg_${i}`
          : `${agent}:s${i % 5}:${i}`;
    return {
      id,
      at,
      agent,
      source: 'log',
      project: pick(PROJECTS),
      model,
      route: local ? 'local' : 'cloud',
      replaces: local ? 'claude-sonnet-4-5' : null,
      tokens: tokens({
        input: Math.floor(rand() * 5000),
        output: Math.floor(rand() * 900),
        cacheRead: Math.floor(rand() * 20000),
        cacheWrite5m: Math.floor(rand() * 2000),
      }),
      costNanos: model === 'acme-coder-9' ? null : local ? 0 : Math.floor(rand() * 40_000_000),
      avoidedNanos: local ? Math.floor(rand() * 9_000_000) : null,
      priceSource: model === 'acme-coder-9' ? null : 'litellm@test',
      estimated: rand() < 0.05,
      ...attribution(pick(BRANCHES), pick(REPOS)),
    };
  });
}

const attribution = (branch: string | undefined, repo: string | undefined) => ({
  ...(branch ? { branch } : {}),
  ...(repo ? { repo } : {}),
});

type Sum = [number, number, number, number, number, number, number];
const sumOf = (t: Totals): Sum => [
  t.costUSD === null ? 0 : usdToNanosExact(t.costUSD),
  t.inputTokens,
  t.outputTokens,
  t.cacheReadTokens,
  t.cacheWriteTokens,
  t.interactions,
  t.unpricedInteractions,
];
const add = (a: Sum, b: Sum): Sum => a.map((x, i) => x + b[i]) as Sum;
const ZERO: Sum = [0, 0, 0, 0, 0, 0, 0];

describe('every view adds up to report --json for the same range', { timeout: 60_000 }, () => {
  const rand = prng(20261201);
  const records = randomCorpus(rand, 1500);
  const now = Date.parse('2026-04-01T13:40:00Z');

  it('over 60 random ranges in two zones', () => {
    for (let k = 0; k < 60; k++) {
      const timeZone = k % 2 ? 'Europe/Berlin' : 'America/New_York';
      const a = addDays('2026-02-18', Math.floor(rand() * 56));
      const b = addDays(a, Math.floor(rand() * 30));
      const since = rand() < 0.15 ? undefined : a;
      const until = rand() < 0.15 ? undefined : b;
      const report = reportJson(buildReport(records, { since, until, timeZone, priceTable: 't' }));
      const want = sumOf(report.totals);
      for (const kind of VIEW_KINDS) {
        const v = buildView(records, { kind, since, until, timeZone, now, priceTable: 't' });
        const where = `${kind} ${since}…${until} ${timeZone}`;
        assert.deepEqual(v.totals, report.totals, where);
        assert.deepEqual(
          v.rows.reduce((s, r) => add(s, sumOf(r)), ZERO),
          want,
          `rows of ${where}`,
        );
        // The attribution views have at most one row per name plus one "not recorded" row.
        if (kind === 'branch')
          assert.ok(v.rows.length <= 4 && v.rows.every((r) => BRANCHES.includes(r.key) || r.key === '(branch not recorded)'), where);
        if (kind === 'repo')
          assert.ok(v.rows.length <= 3 && v.rows.every((r) => REPOS.includes(r.key) || r.key === '(repo not recorded)'), where);
      }
      const dayOf = dayOfIso(timeZone);
      const cc = records.filter((r) => r.agent === 'claude-code' && (!since || dayOf(r.at) >= since) && (!until || dayOf(r.at) <= until));
      const blocks = buildBlocks(cc, now);
      const ccRow = report.agents.find((x) => x.agent === 'claude-code');
      assert.deepEqual(
        blocks.reduce((s, r) => add(s, sumOf(r)), ZERO),
        ccRow ? sumOf(ccRow) : ZERO,
        `blocks ${since}…${until} ${timeZone}`,
      );
      // No block is longer than 5 hours, and each starts on a whole hour.
      for (const x of blocks)
        assert.ok(Date.parse(x.lastAt) - Date.parse(x.start) <= 5 * 3_600_000 && Date.parse(x.start) % 3_600_000 === 0, x.start);
    }
  });

  it('breakdown rows add up to their row, by model and by agent', () => {
    const v = buildView(records, { kind: 'weekly', timeZone: 'Europe/Berlin', now, priceTable: 't', breakdown: true });
    for (const r of v.rows) {
      assert.deepEqual(
        r.breakdown!.models.reduce((s, m) => add(s, sumOf(m)), ZERO),
        sumOf(r),
        r.key,
      );
      assert.deepEqual(
        r.breakdown!.agents.reduce((s, m) => add(s, sumOf(m)), ZERO),
        sumOf(r),
        r.key,
      );
    }
  });
});

describe('sessionOf: the session an id names, per source', { timeout: 10_000 }, () => {
  const base: Interaction = {
    id: '',
    at: '2026-03-01T10:00:00.000Z',
    agent: 'codex',
    source: 'log',
    project: 'api',
    model: 'gpt-5',
    route: 'cloud',
    replaces: null,
    tokens: tokens({}),
    costNanos: 0,
    avoidedNanos: null,
    priceSource: null,
    estimated: false,
  };
  const key = (p: Partial<Interaction>) => sessionOf({ ...base, ...p }, '2026-03-01');
  it('log ids name their session; response ids and gateway ids do not', () => {
    assert.deepEqual(key({ id: 'codex:019a2d7a-41c4-78b1-b7cc-a45d62a89cd5:1761703178000:12345' }), {
      key: 'codex:019a2d7a-41c4-78b1-b7cc-a45d62a89cd5',
      known: true,
    });
    assert.deepEqual(key({ id: 'gemini-cli:s-1:m-9', agent: 'gemini-cli' }), { key: 'gemini-cli:s-1', known: true });
    assert.deepEqual(key({ id: 'roo-code:task-3:1761703178000', agent: 'roo-code' }), { key: 'roo-code:task-3', known: true });
    assert.deepEqual(key({ id: 'claude-code:5f1c:u-1', agent: 'claude-code' }), { key: 'claude-code:5f1c', known: true });
    assert.deepEqual(key({ id: 'anthropic:msg_01', agent: 'claude-code', project: 'webapp' }), {
      key: 'claude-code · webapp · 2026-03-01',
      known: false,
    });
    assert.deepEqual(key({ id: 'codex:gateway:7d3e', source: 'gateway', project: null }), {
      key: 'codex · (no project) · 2026-03-01',
      known: false,
    });
  });
});
