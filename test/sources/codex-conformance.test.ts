/**
 * Codex rollouts written the way openai/codex writes them (fixtures/codex-conformance/README.md names
 * the writer's files and commits). Every figure below is worked out by hand from the fixture lines
 * and the pinned prices (src/core/pricing/snapshot.json, per token):
 *   gpt-5-codex, gpt-5: input $1.25/M = 1,250 nanos, cached input 125 nanos, output $10/M = 10,000 nanos
 *   gpt-5.4:            input 2,500 nanos, cached input 250 nanos, output 15,000 nanos
 * Input below is UNCACHED input (input_tokens − cached_input_tokens); reasoning is inside output.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Interaction } from '../../src/core/interaction';
import { computeMeter, tooltipMarkdown } from '../../src/core/meter';
import { FIXTURES, world, type World } from './helpers';
import { rawZstd } from './zstdFrames';

const HOME = path.join(FIXTURES, 'codex-conformance');
const A = '019a4a00-0000-7000-8000-00000000000a';
const A_FILE = path.join(HOME, `sessions/2025/11/03/rollout-2025-11-03T09-00-00-${A}.jsonl`);
const F_FILE = path.join(HOME, 'sessions/2025/11/03/rollout-2025-11-03T11-00-00-019a4a10-0000-7000-8000-00000000000f.jsonl');

type Row = [
  at: string,
  model: string,
  project: string,
  input: number,
  cacheRead: number,
  output: number,
  reasoning: number,
  nanos: number | null,
];
const row = (r: Interaction): Row => [
  r.at,
  r.model,
  r.project ?? '',
  r.tokens.input,
  r.tokens.cacheRead,
  r.tokens.output,
  r.tokens.reasoning,
  r.costNanos,
];
const sorted = (w: World) => [...w.ledger.records()].sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id));
const nanos = (w: World) => w.ledger.records().reduce((s, r) => s + (r.costNanos ?? 0), 0);

describe('Codex conformance: lines as the writer writes them', { timeout: 30_000 }, () => {
  let w: World;
  let malformed = -1;
  before(async () => {
    w = await world({ CODEX_HOME: HOME });
    malformed = (await w.importer().scan()).malformedLines;
  });
  after(() => w.cleanup());

  it('every response once, to the token and the nano-dollar', () => {
    assert.deepEqual(sorted(w).map(row), [
      // A (token_count era). First event: its last_token_usage 1,000 in (200 cached), 100 out (20 reasoning).
      // 800×1,250 + 200×125 + 100×10,000 = 1,000,000 + 25,000 + 1,000,000
      ['2025-11-03T09:00:05.000Z', 'gpt-5-codex', 'alpha', 800, 200, 100, 20, 2_025_000],
      // re-emitted total and info:null add nothing; total 3,300 − 1,100 = last 2,200: 2,000 in (1,000 cached), 200 out
      // 1,000×1,250 + 1,000×125 + 200×10,000 = 1,250,000 + 125,000 + 2,000,000
      ['2025-11-03T09:01:00.000Z', 'gpt-5-codex', 'alpha', 1000, 1000, 200, 0, 3_375_000],
      // turn_context switches model and workspace: 500 in, 50 out at gpt-5 = 625,000 + 500,000
      ['2025-11-03T09:02:30.000Z', 'gpt-5', 'beta', 500, 0, 50, 0, 1_125_000],
      // resumed with the count restarted ABOVE the old total (6,600 > 3,850) but ≠ 3,850 + 6,600: the turn's own
      // 6,000 in, 600 out (a difference of totals would give 2,500 and 250) = 7,500,000 + 6,000,000
      ['2025-11-03T10:00:30.000Z', 'gpt-5', 'beta', 6000, 0, 600, 0, 13_500_000],
      // fill_to_context_window (total 272,000 with no input/output) adds nothing; next: last 4,000 in (3,000 cached), 100 out
      // 1,000×1,250 + 3,000×125 + 100×10,000 = 1,250,000 + 375,000 + 1,000,000; then a zero-token retry adds nothing
      ['2025-11-03T10:01:30.000Z', 'gpt-5', 'beta', 1000, 3000, 100, 0, 2_625_000],
      // a restart BELOW the old total: the turn's own 1,500 in, 150 out = 1,875,000 + 1,500,000
      ['2025-11-03T10:02:30.000Z', 'gpt-5', 'beta', 1500, 0, 150, 0, 3_375_000],
      // the fork: its 2.5-second copy of A is A's own records again (same ids); its turn: 3,730 − 1,650 = last 2,080:
      // 2,000 in (1,500 cached), 80 out = 500×1,250 + 1,500×125 + 80×10,000 = 625,000 + 187,500 + 800,000
      ['2025-11-03T11:00:40.000Z', 'gpt-5', 'beta', 500, 1500, 80, 0, 1_612_500],
      // N (token_usage_record era): resp_n1 3,000 in (1,000 cached), 300 out (50 reasoning)
      // 2,000×2,500 + 1,000×250 + 300×15,000 = 5,000,000 + 250,000 + 4,500,000; resp_n2 is a zero-token retry
      ['2025-11-04T10:00:05.000Z', 'gpt-5.4', 'gamma', 2000, 1000, 300, 50, 9_750_000],
      // resp_n3: 5,000 in (4,000 cached), 500 out = 2,500,000 + 1,000,000 + 7,500,000; token_count lines beside the
      // records and the compacted line's latest_token_usage_record add nothing
      ['2025-11-04T10:02:05.000Z', 'gpt-5.4', 'gamma', 1000, 4000, 500, 0, 11_000_000],
      // the spawned subagent counts from zero: 700 in, 70 out = 1,750,000 + 1,050,000
      ['2025-11-04T10:05:20.000Z', 'gpt-5.4', 'gamma', 700, 0, 70, 0, 2_800_000],
      // codex-auto-review: no published price, unpriced (null), never $0
      ['2025-11-04T10:06:10.000Z', 'codex-auto-review', 'gamma', 900, 0, 30, 0, null],
      // N's fork: its copy has N's token_count lines but no records (forks never copy them): only its own resp_f1,
      // 1,200 in (1,000 cached), 40 out = 200×2,500 + 1,000×250 + 40×15,000 = 500,000 + 250,000 + 600,000
      ['2025-11-04T12:00:40.000Z', 'gpt-5.4', 'gamma', 200, 1000, 40, 0, 1_350_000],
      // archived .jsonl.zst: 10,000 in (8,000 cached), 1,000 out (500 reasoning)
      // 2,000×1,250 + 8,000×125 + 1,000×10,000 = 2,500,000 + 1,000,000 + 10,000,000
      ['2025-11-05T08:00:30.000Z', 'gpt-5-codex', 'alpha', 2000, 8000, 1000, 500, 13_500_000],
    ]);
  });

  it('sums to the hand total: A 26,025,000 + fork 1,612,500 + N 20,750,000 + fork 1,350,000 + subagent 2,800,000 + archive 13,500,000', () => {
    assert.equal(nanos(w), 66_037_500);
    assert.equal(malformed, 0);
  });

  it('the tooltip names codex-auto-review as unpriced and says why', () => {
    const m = computeMeter(w.ledger.records(), { now: Date.parse('2025-11-05T12:00:00Z'), timeZone: 'UTC', budgetNanos: null });
    const md = tooltipMarkdown(m, { timeZone: 'UTC' });
    assert.ok(
      md.includes(
        "codex\\-auto\\-review (1: Codex's approval auto\\-reviewer under ChatGPT sign\\-in; OpenAI publishes no per\\-token price for it)",
      ),
      md,
    );
  });

  it('per-response records are keyed by thread and response id; token_count by the lineage the fork continues', () => {
    const ids = w.ledger.records().map((r) => r.id);
    assert.ok(ids.includes('codex:019a4b00-0000-7000-8000-00000000000b:resp_n1'));
    assert.ok(ids.includes('codex:019a4b40-0000-7000-8000-0000000000f2:resp_f1'));
    assert.equal(ids.filter((id) => id.startsWith(`codex:${A}:`)).length, 7, "A's six and its fork's own one");
  });
});

describe('Codex: re-reading after each kind of change adds exactly the new usage', { timeout: 30_000 }, () => {
  let w: World;
  let home: string;
  let file: string;
  const lines = readFileSync(A_FILE, 'utf8').split('\n').filter(Boolean);
  const scan = async () => w.importer().scan();
  before(async () => {
    w = await world();
    home = path.join(w.dir, 'codex');
    file = path.join(home, `sessions/2025/11/03/rollout-2025-11-03T09-00-00-${A}.jsonl`);
    mkdirSync(path.dirname(file), { recursive: true });
    w.env = { CODEX_HOME: home };
  });
  after(() => w.cleanup());

  it('first read: the opening turns (2,025,000 + 3,375,000)', async () => {
    writeFileSync(file, lines.slice(0, 7).join('\n') + '\n');
    await scan();
    assert.equal(w.ledger.records().length, 2);
    assert.equal(nanos(w), 5_400_000);
  });

  it('append: a model and workspace switch (+1,125,000)', async () => {
    appendFileSync(file, lines.slice(7, 9).join('\n') + '\n');
    assert.equal((await scan()).written, 1);
    assert.equal(nanos(w), 6_525_000);
  });

  it('resume (appended to the same file): +13,500,000 + 2,625,000 + 3,375,000', async () => {
    appendFileSync(file, lines.slice(9).join('\n') + '\n');
    assert.equal((await scan()).written, 3);
    assert.equal(nanos(w), 26_025_000);
  });

  it('a line cut before its usage field, torn or closed early, is malformed, named with file and line; nothing added', async () => {
    // torn before "token_count" (no needle in it): only the torn-line check hands it to the parser
    appendFileSync(file, '{"timestamp":"2025-11-03T10:03:00.000Z","type":"event_msg","payload":{"ty\n');
    appendFileSync(file, '{"timestamp":"2025-11-03T10:03:01.000Z","type":"event_msg","payload":{"type":"token_count"}}\n');
    const s = await scan();
    assert.equal(s.malformedLines, 2);
    assert.ok(
      w.logger.lines.some((l) => l.includes(`${A}.jsonl:16: skipped a malformed line: not JSON`)),
      w.logger.lines.join('\n'),
    );
    assert.ok(
      w.logger.lines.some((l) => l.includes(`${A}.jsonl:17: skipped a malformed line: payload.info: missing`)),
      w.logger.lines.join('\n'),
    );
    assert.equal(nanos(w), 26_025_000);
  });

  it('a fork read while its copy is still being written, then finished: only its own turn (+1,612,500)', async () => {
    const fork = path.join(path.dirname(file), path.basename(F_FILE));
    const f = readFileSync(F_FILE, 'utf8').split('\n').filter(Boolean);
    writeFileSync(fork, f.slice(0, 9).join('\n') + '\n'); // its session_meta and half the copy
    assert.equal((await scan()).written, 0);
    appendFileSync(fork, f.slice(9).join('\n') + '\n');
    assert.equal((await scan()).written, 1);
    assert.equal(nanos(w), 27_637_500);
  });

  it('rewritten in place (new inode, same lines): +0', async () => {
    writeFileSync(file + '.tmp', lines.join('\n') + '\n');
    renameSync(file + '.tmp', file);
    const s = await scan();
    assert.equal(s.filesRead, 1);
    assert.equal(s.written, 0);
    assert.equal(nanos(w), 27_637_500);
  });

  it('archived (moved to archived_sessions/): +0', async () => {
    const archived = path.join(home, 'archived_sessions', path.basename(file));
    mkdirSync(path.dirname(archived), { recursive: true });
    renameSync(file, archived);
    const s = await scan();
    assert.equal(s.filesRead, 1);
    assert.equal(s.written, 0);
    assert.equal(nanos(w), 27_637_500);
    file = archived;
  });

  it('compressed (.jsonl replaced by .jsonl.zst): +0', async () => {
    writeFileSync(file + '.zst', rawZstd(readFileSync(file)));
    rmSync(file);
    const s = await scan();
    assert.equal(s.filesRead, 1);
    assert.equal(s.written, 0);
    assert.equal(w.ledger.records().length, 7);
    assert.equal(nanos(w), 27_637_500);
  });
});
