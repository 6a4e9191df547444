// Fuzz of the ledger reader (issue 11): mutated ledger lines from a fixed seed. A line is a record,
// a header, a blank, or a malformed line reported with an UnmeteredError; nothing else escapes, and
// a whole segment of such lines opens, with the streaming reader agreeing line for line with the
// line decoder. UNMETERED_FUZZ_RUNS=N runs N lines (default 3,000).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UnmeteredError } from '../../src/core/errors';
import type { Interaction } from '../../src/core/interaction';
import { openLedger } from '../../src/core/ledger/index';
import { decodeLine, encodeLine, HEADER_LINE, validateRecord } from '../../src/core/ledger/fileFormat';
import { memoryLogger } from '../../src/core/ports';
import { fuzzRuns, mulberry32, mutate, pick } from '../helpers/fuzz';
import { record } from '../ledger/fixtures/records';
import { tempDir } from '../ledger/helpers';

const RUNS = fuzzRuns(3000);
const SEED = 0x1ed9_e411;

const VALID: Interaction[] = [
  record('a'),
  record('unpriced', { costNanos: null, priceSource: null, model: 'acme-coder-9', project: null }),
  record('local', { route: 'local', replaces: 'claude-sonnet-4-5', avoidedNanos: 1_000, source: 'gateway', estimated: true }),
  record('flags', { priceInferred: true, fast: true }),
  { ...record('extra'), zz: { nested: [1, 'two'] } } as Interaction,
];
const VALID_LINES = [HEADER_LINE.slice(0, -1), ...VALID.map((r) => encodeLine(r).slice(0, -1))];

type Outcome = { kind: 'record'; id: string } | { kind: 'header' | 'blank' } | { kind: 'malformed' };

/** decodeLine under the contract: an UnmeteredError or a line kind; a record valid and stable. */
function judge(text: string): Outcome {
  let got;
  try {
    got = decodeLine(text);
  } catch (e) {
    assert.ok(
      e instanceof UnmeteredError && ['E_LEDGER_LINE', 'E_INTERACTION'].includes(e.code),
      `${(e as Error).name} escaped for ${JSON.stringify(text.slice(0, 200))}: ${(e as Error).message}`,
    );
    return { kind: 'malformed' };
  }
  if (got.kind !== 'record') return { kind: got.kind };
  const r = validateRecord(got.record);
  const again = decodeLine(encodeLine(r).slice(0, -1));
  assert.equal(again.kind, 'record');
  assert.deepEqual(JSON.parse(JSON.stringify((again as { record: unknown }).record)), JSON.parse(JSON.stringify(r)));
  return { kind: 'record', id: r.id };
}

describe('fuzz: ledger lines', { timeout: 300_000 }, () => {
  test(`${RUNS} mutated lines: only UnmeteredError escapes the decoder, every record read back is valid and stable`, () => {
    const rng = mulberry32(SEED);
    const kinds = new Map<string, number>();
    for (let i = 0; i < RUNS; i++) {
      const o = judge(mutate(rng, pick(rng, VALID_LINES), VALID_LINES));
      kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1);
    }
    // the mutations reach both sides: some lines still decode, most do not
    assert.ok((kinds.get('record') ?? 0) > 0 && (kinds.get('malformed') ?? 0) > 0, JSON.stringify([...kinds]));
  });

  test('a segment of mutated lines opens; the streaming reader agrees line for line with the decoder', async (t) => {
    const rng = mulberry32(SEED + 1);
    const lines: string[] = [];
    for (let i = 0; i < Math.min(RUNS, 20_000); i++)
      lines.push(rng() < 0.3 ? pick(rng, VALID_LINES) : mutate(rng, pick(rng, VALID_LINES), VALID_LINES));
    const text = HEADER_LINE + lines.join('\n') + '\n';
    const dir = tempDir(t);
    mkdirSync(path.join(dir, 'ledger'));
    writeFileSync(path.join(dir, 'ledger', '2026-11.jsonl'), text);
    // Each piece judged once (judge is a pure function of the text): the second limit reuses the first's verdicts.
    const verdicts = new Map<string, Outcome>();
    const judged = (piece: string) => verdicts.get(piece) ?? verdicts.set(piece, judge(piece)).get(piece)!;
    // with the default limit, and with one so small that many lines are over it
    for (const maxLineBytes of [undefined, 300]) {
      // the reference: the file split where its newline bytes are, each piece judged on its own
      let malformed = 0;
      const ids = new Set<string>();
      // as read back from disk: a raw lone surrogate in the text is written as U+FFFD
      for (const piece of Buffer.from(text, 'utf8').toString('utf8').slice(0, -1).split('\n')) {
        const o = maxLineBytes !== undefined && Buffer.byteLength(piece) > maxLineBytes ? ({ kind: 'malformed' } as const) : judged(piece);
        if (o.kind === 'malformed') malformed++;
        else if (o.kind === 'record') ids.add(o.id);
      }
      const l = await openLedger({ dir, logger: memoryLogger(), maxLineBytes });
      assert.equal(l.stats.malformedLines, malformed, `limit ${maxLineBytes}`);
      assert.deepEqual(new Set(l.records().map((r) => r.id)), ids, `limit ${maxLineBytes}`);
      await l.close();
      rmSync(path.join(dir, 'cache'), { recursive: true, force: true }); // no snapshot: read the text again
    }
    const intact = VALID.filter((r) => lines.includes(encodeLine(r).slice(0, -1)));
    assert.ok(intact.length > 0);
  });
});
