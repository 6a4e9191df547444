/**
 * Per-branch and per-repository rows: one developer's weekly summary (schema version 2) and the team
 * merge, with a version-1 file from a teammate on an older Unmetered merged beside them. Costs are whole
 * millions of nano-dollars (M) so every sum below is hand arithmetic.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tokens, type Interaction } from '../../src/core/interaction';
import { validate, type Schema } from '../../src/core/report/summary/jsonschema';
import { pseudonymiser } from '../../src/core/report/summary/pseudonym';
import { parseWeeklySummary } from '../../src/core/report/summary/read';
import { renderMarkdown } from '../../src/core/report/render/markdown';
import { buildWeeklySummary } from '../../src/core/report/summary/summary';
import { entryOf, mergeTeam } from '../../src/core/report/team/team';
import { renderTeamMarkdown } from '../../src/core/report/team/teamRender';
import weekly1 from '../../src/core/report/summary/weekly-1.schema.json';
import weekly2 from '../../src/core/report/summary/weekly-2.schema.json';
import team1 from '../../src/core/report/team/team-1.schema.json';

const A = 'github.com/acme/api';
const W = 'github.com/acme/web';
const NOW = Date.parse('2026-11-23T09:00:00Z');

function rec(id: string, at: string, millions: number, branch?: string, repo?: string): Interaction {
  return {
    id,
    at,
    agent: 'claude-code',
    source: 'log',
    project: repo === W ? 'web' : 'api',
    model: 'claude-sonnet-4-5',
    route: 'cloud',
    replaces: null,
    tokens: tokens({ input: 100, output: 10 }),
    costNanos: millions * 1_000_000,
    avoidedNanos: null,
    priceSource: 'litellm@test',
    estimated: false,
    ...(branch ? { branch } : {}),
    ...(repo ? { repo } : {}),
  };
}

// Week 2026-W47: Monday 16 to Sunday 22 November (UTC).
const ADA = [
  rec('a1', '2026-11-17T10:00:00Z', 3, 'feature/x', A),
  rec('a2', '2026-11-18T10:00:00Z', 2, 'feature/x', A),
  rec('a3', '2026-11-18T11:00:00Z', 1, 'main', A),
  rec('a4', '2026-11-19T10:00:00Z', 4), // a source that records neither
  rec('a5', '2026-11-10T10:00:00Z', 9, 'feature/x', A), // the week before: not in W47
];
const GRACE = [rec('g1', '2026-11-20T10:00:00Z', 5, 'feature/x', A), rec('g2', '2026-11-20T11:00:00Z', 7, 'feature/x', W)];
const BOB = [rec('b1', '2026-11-21T10:00:00Z', 10, 'feature/x', A)];

const weekly = (records: Interaction[], developer: string, rename?: (s: string) => string) =>
  buildWeeklySummary(records, {
    week: '2026-W47',
    timeZone: 'UTC',
    budgetNanos: null,
    now: NOW,
    developer,
    priceTableVersion: 'litellm@test',
    pseudonymise: rename ?? null,
  });

const pick = (rows: { costUSD: number | null; interactions: number }[]) => rows.map((r) => [r.costUSD, r.interactions]);

describe('weekly summary and team merge: per repository and branch', { timeout: 30_000 }, () => {
  it("one developer's week: (repo, branch) rows, most expensive first, the unrecorded ones as null", () => {
    const s = weekly(ADA, 'ada');
    assert.equal(s.schema, 'unmetered.weekly/2');
    assert.deepEqual(validate(weekly2 as Schema, JSON.parse(JSON.stringify(s))), []);
    // feature/x in api: a1 + a2 = 5 M (a5 is the week before); not recorded: a4 = 4 M; main in api: a3 = 1 M.
    assert.deepEqual(
      s.attribution.branches.map((b) => [b.repo, b.branch, b.costUSD, b.interactions]),
      [
        [A, 'feature/x', 0.005, 2],
        [null, null, 0.004, 1],
        [A, 'main', 0.001, 1],
      ],
    );
    assert.deepEqual(s.attribution.otherBranches.branches, 0);
    // api: 3 + 2 + 1 = 6 M; not recorded: 4 M. Rows add up to the week's 10 M.
    assert.deepEqual(
      s.attribution.repos.map((r) => [r.repo, r.costUSD]),
      [
        [A, 0.006],
        [null, 0.004],
      ],
    );
    assert.equal(s.totals.costUSD, 0.01);
    const md = renderMarkdown(s);
    assert.match(md, /\| feature\/x · github\.com\/acme\/api \| \$0\.0050 \|/);
    assert.match(md, /\| \(branch and repo not recorded\) \|/);
  });

  it('pseudonymised: branch and repository names do not leave the ledger', () => {
    const s = weekly(ADA, 'ada', pseudonymiser(Buffer.alloc(32, 7)));
    const text = JSON.stringify(s);
    for (const secret of ['feature/x', 'acme', 'main']) assert.ok(!text.includes(secret), secret);
    assert.equal(s.attribution.branches.length, 3);
  });

  it('the team: a feature summed across teammates, a version-1 file merged as not recorded, totals add up', () => {
    const v2 = (s: ReturnType<typeof weekly>, file: string) => entryOf(parseWeeklySummary(JSON.stringify(s), file), file);
    // Bob's Unmetered predates attribution: his file is version 1 (no attribution, schema /1).
    const { attribution: _dropped, ...bobV2 } = weekly(BOB, 'bob');
    const bobV1 = { ...bobV2, schema: 'unmetered.weekly/1' };
    assert.deepEqual(validate(weekly1 as Schema, JSON.parse(JSON.stringify(bobV1))), []);
    const entries = [v2(weekly(ADA, 'ada'), 'ada.json'), v2(weekly(GRACE, 'grace'), 'grace.json'), v2(bobV1 as never, 'bob.json')];
    const r = mergeTeam(entries, [], { now: NOW })!;
    assert.deepEqual(validate(team1 as Schema, JSON.parse(JSON.stringify(r))), []);
    // Team: ada 10 M + grace 12 M + bob 10 M = 32 M.
    assert.equal(r.totals.costUSD, 0.032);
    // not recorded: ada's a4 4 M + all of bob's 10 M = 14 M (2 developers); feature/x in api: ada 5 + grace 5 = 10 M
    // (2); feature/x in web: grace 7 M (1); main in api: ada 1 M (1). 14 + 10 + 7 + 1 = 32 M.
    assert.deepEqual(
      r.attribution.branches.map((b) => [b.repo, b.branch, b.developers, b.costUSD, b.interactions]),
      [
        [null, null, 2, 0.014, 2],
        [A, 'feature/x', 2, 0.01, 3],
        [W, 'feature/x', 1, 0.007, 1],
        [A, 'main', 1, 0.001, 1],
      ],
    );
    // api: ada 6 + grace 5 = 11 M; web: 7 M; not recorded: 4 + 10 = 14 M.
    assert.deepEqual(
      r.attribution.repos.map((x) => [x.repo, x.developers, x.costUSD]),
      [
        [null, 2, 0.014],
        [A, 2, 0.011],
        [W, 1, 0.007],
      ],
    );
    // Per project across teammates (version 1 files have projects too): api = ada 10 + grace 5 + bob 10; web = 7.
    assert.deepEqual(
      r.attribution.projects.map((p) => [p.project, p.developers, p.costUSD]),
      [
        ['api', 3, 0.025],
        ['web', 1, 0.007],
      ],
    );
    assert.deepEqual(pick([r.attribution.otherBranches, r.attribution.otherProjects]), [
      [0, 0],
      [0, 0],
    ]);
    const md = renderTeamMarkdown(r);
    assert.match(md, /### By branch/);
    assert.match(md, /\| feature\/x · github\.com\/acme\/api \| \$0\.01 \| 31 % \|/);
  });
});
