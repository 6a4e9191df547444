// The rollup (src/core/ledger/rollup.ts) is exact: after random appends, writers SIGKILLed mid-write,
// truncated segments, torn and malformed lines, what it holds equals a full recomputation by a
// plain fold written here (one record per id, the copy with most tokens, ties to the first in
// segment-then-line order) and what a fresh openLedger holds.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appendFileSync,
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { Interaction } from '../../src/core/interaction';
import { openLedger } from '../../src/core/ledger/index';
import { readRollup, RollupIndex, type Rollup } from '../../src/core/ledger/rollup';
import { memoryLogger } from '../../src/core/ports';
import { hashId } from '../../src/core/ledger/view';
import { record } from './fixtures/records';
import { startWriter, tempDir } from './helpers';
import { commandRollup } from '../../src/cli/aggregate';

function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** Complete lines of every segment, segments by name, through the ledger's short keys, read here by hand. */
function foldByHand(dir: string): Map<string, Interaction> {
  const best = new Map<string, { total: number; r: Interaction }>();
  const segDir = path.join(dir, 'ledger');
  for (const f of readdirSync(segDir)
    .filter((n) => /^\d{4}-\d\d\.jsonl$/.test(n))
    .sort()) {
    const text = readFileSync(path.join(segDir, f), 'utf8');
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    for (const line of complete.split('\n')) {
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue; // torn, garbage or blank
      }
      // The garbage lines this test writes lack fields a record has (six token counts, an instant).
      if (
        typeof o !== 'object' ||
        o === null ||
        typeof o.id !== 'string' ||
        !Array.isArray(o.t) ||
        o.t.length !== 6 ||
        typeof o.at !== 'string'
      )
        continue;
      const t = o.t as number[];
      const r = {
        id: o.id,
        at: o.at,
        agent: o.a as string,
        model: o.m as string,
        project: (o.p as string | undefined) ?? null,
        route: o.r as 'cloud' | 'local',
        repo: o.rp as string | undefined,
        branch: o.b as string | undefined,
        tokens: { input: t[0], output: t[1], cacheRead: t[2], cacheWrite5m: t[3], cacheWrite1h: t[4], reasoning: t[5] },
        costNanos: (o.c as number | undefined) ?? null,
        avoidedNanos: (o.v as number | undefined) ?? null,
        estimated: o.e === true,
        // An extra, passed through to the line under its own name.
        ...(o.agentCostNanos !== undefined ? { agentCostNanos: o.agentCostNanos } : {}),
      } as Interaction;
      const total = t[0] + t[1] + t[2] + t[3] + t[4];
      const have = best.get(r.id);
      if (!have || total > have.total) best.set(r.id, { total, r });
    }
  }
  return new Map([...best].map(([id, v]) => [id, v.r]));
}

/** Every sum a cell keeps, in this order (as rollup.ts SUM_FIELDS, the order of its saved column). */
const SUMS = [
  'costNanos',
  'avoidedNanos',
  'avoidedAllNanos',
  'input',
  'output',
  'cacheRead',
  'cacheWrite',
  'reasoning',
  'interactions',
  'unpriced',
  'estimated',
  'local',
  'localPriced',
  'agentCosted',
  'agentCostNanos',
  'agentCostOurNanos',
] as const;

/**
 * Sums per UTC day × agent × model × project × route × repo × branch × session (each of SUMS), as strings so that
 * any drift shows.
 */
function groupRecords(records: Iterable<Interaction>): Map<string, string> {
  const m = new Map<string, number[]>();
  for (const r of records) {
    const day = new Date(Date.parse(r.at)).toISOString().slice(0, 10);
    // The session this test's Codex-shaped ids name: codex:<rollout>.
    const session = r.id.startsWith('codex:') ? r.id.split(':').slice(0, 2).join(':') : null;
    const key = [day, r.agent, r.model, r.project, r.route, r.repo ?? null, r.branch ?? null, session].join('|');
    const s = m.get(key) ?? new Array<number>(SUMS.length).fill(0);
    const k = r.tokens;
    const local = r.route === 'local';
    // The agent's own cost counts beside ours only where we priced the record too.
    const theirs = (r as Interaction & { agentCostNanos?: number }).agentCostNanos;
    const costed = theirs !== undefined && r.costNanos !== null;
    const v = [
      r.costNanos ?? 0,
      local ? (r.avoidedNanos ?? 0) : 0,
      r.avoidedNanos ?? 0,
      k.input,
      k.output,
      k.cacheRead,
      k.cacheWrite5m + k.cacheWrite1h,
      k.reasoning,
      1,
      r.costNanos === null ? 1 : 0,
      r.estimated ? 1 : 0,
      local ? 1 : 0,
      local && r.avoidedNanos !== null ? 1 : 0,
      costed ? 1 : 0,
      costed ? theirs : 0,
      costed ? r.costNanos! : 0,
    ];
    v.forEach((x, i) => (s[i] += x));
    m.set(key, s);
  }
  return new Map([...m].map(([k, v]) => [k, v.join(',')]));
}

function groupRollup(r: Rollup): Map<string, string> {
  const m = new Map<string, number[]>();
  for (const c of r.cells) {
    const key = [c.day, c.agent, c.model, c.project, c.route, c.repo, c.branch, c.session].join('|');
    const s = m.get(key) ?? new Array<number>(SUMS.length).fill(0);
    // A cell read back from the file builds its sums from the saved column.
    const x = c.sums;
    SUMS.forEach((f, i) => (s[i] += x[f]));
    m.set(key, s);
  }
  const loose = groupRecords(r.loose);
  for (const [k, v] of loose) {
    const s = m.get(k) ?? new Array<number>(SUMS.length).fill(0);
    v.split(',').forEach((x, i) => (s[i] += Number(x)));
    m.set(k, s);
  }
  return new Map([...m].map(([k, v]) => [k, v.join(',')]));
}

const sorted = (m: Map<string, string>) => [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1));

function randomRecord(rnd: () => number, ids: string[]): Interaction {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  // A third of the time an id already written: a more complete copy, a tie or a lesser one.
  // Some ids name a session, as a Codex rollout's do (codex:<rollout>:<ms>:<key>).
  const fresh = rnd() < 0.3 ? `codex:r${ids.length % 4}:1760000000000:${ids.length}` : `t:${ids.length}`;
  const id = ids.length && rnd() < 0.33 ? pick(ids) : ids[ids.push(fresh) - 1];
  const day = 1 + Math.floor(rnd() * 60);
  const when = Date.parse('2026-10-01T00:00:00Z') + day * 86_400_000 + Math.floor(rnd() * 86_400_000);
  const canonical = rnd() < 0.9;
  const at = canonical ? new Date(when).toISOString() : new Date(when).toISOString().replace('Z', '+00:00');
  const local = rnd() < 0.15;
  const unpriced = rnd() < 0.1;
  const output = Math.floor(rnd() * 5) * 100;
  return record(id, {
    at,
    output,
    tokens: {
      input: 4,
      output,
      cacheRead: 48_211,
      cacheWrite5m: 1_532,
      cacheWrite1h: rnd() < 0.2 ? 900 : 0,
      reasoning: Math.floor(rnd() * 3) * 50,
    },
    agent: pick(['claude-code', 'codex', 'copilot-chat']),
    model: pick(['claude-sonnet-4-5-20250929', 'gpt-5-codex', 'mystery-model']),
    project: pick(['acme-api', 'web', null]),
    route: local ? 'local' : 'cloud',
    replaces: local ? 'claude-sonnet-4-5-20250929' : null,
    costNanos: unpriced ? null : 1 + Math.floor(rnd() * 90_000_000),
    priceSource: unpriced ? null : rnd() < 0.1 ? 'user' : 'litellm@test',
    avoidedNanos: local && rnd() < 0.7 ? Math.floor(rnd() * 50_000_000) : null,
    estimated: rnd() < 0.2,
    // The cost some agents state in their logs (pi, OpenCode), kept beside ours.
    ...(rnd() < 0.25 ? { agentCostNanos: Math.floor(rnd() * 80_000_000) } : {}),
    ...(rnd() < 0.5 ? { repo: pick(['github.com/acme/api', 'github.com/acme/web']) } : {}),
    ...(rnd() < 0.5 ? { branch: pick(['main', 'feat/login']) } : {}),
  });
}

describe('rollup', { timeout: 180_000 }, () => {
  test('equals a full recomputation after random appends, kills, truncations and garbage', async (t) => {
    const dir = tempDir(t);
    const rnd = prng(20261202);
    const ids: string[] = [];
    const seen = { folded: 0, rebuilt: 0, kills: 0, truncations: 0 };
    for (let round = 0; round < 30; round++) {
      const action = round < 2 ? 0 : Math.floor(rnd() * 5);
      let expectRebuild = false;
      if (action <= 1) {
        const ledger = await openLedger({ dir, logger: memoryLogger() });
        const batch = Array.from({ length: 1 + Math.floor(rnd() * 80) }, () => randomRecord(rnd, ids));
        await ledger.append(batch);
        await ledger.close();
      } else if (action === 2) {
        // A real writer process killed at a random moment: torn tails and half-written batches.
        const w = startWriter(['loop', dir, `k${round}`]);
        await w.waitForLines(1);
        await new Promise((r) => setTimeout(r, rnd() * 40));
        w.child.kill('SIGKILL');
        await w.exited;
        seen.kills++;
      } else if (action === 3) {
        const segs = readdirSync(path.join(dir, 'ledger')).filter((n) => n.endsWith('.jsonl'));
        const f = path.join(dir, 'ledger', segs[Math.floor(rnd() * segs.length)]);
        const size = statSync(f).size;
        truncateSync(f, Math.floor(size * (0.5 + rnd() * 0.5))); // mid-line, most of the time
        seen.truncations++;
        expectRebuild = true;
      } else {
        const segs = readdirSync(path.join(dir, 'ledger')).filter((n) => n.endsWith('.jsonl'));
        appendFileSync(path.join(dir, 'ledger', segs[0]), rnd() < 0.5 ? 'not json at all\n' : '{"id":"x","t":[1,2]}\n');
      }
      const got = await readRollup({ dir, timeZone: 'UTC' });
      if (got.stats.how === 'folded') seen.folded++;
      if (got.stats.how === 'rebuilt') seen.rebuilt++;
      if (expectRebuild) assert.equal(got.stats.how, 'rebuilt', `round ${round}: a truncated segment must rebuild the rollup`);
      const byHand = foldByHand(dir);
      assert.equal(got.interactions, byHand.size, `round ${round}: interactions`);
      assert.deepEqual(sorted(groupRollup(got)), sorted(groupRecords(byHand.values())), `round ${round}: sums against the fold`);
      const fresh = await openLedger({ dir, logger: memoryLogger() });
      assert.deepEqual(sorted(groupRollup(got)), sorted(groupRecords(fresh.records())), `round ${round}: sums against openLedger`);
      await fresh.close();
      // Read again with nothing new: no ledger line is read.
      const again = await readRollup({ dir, timeZone: 'UTC' });
      assert.equal(again.stats.how, 'cached', `round ${round}: nothing new`);
      assert.equal(again.stats.linesRead, 0, `round ${round}: nothing new means no ledger line read`);
      assert.deepEqual(sorted(groupRollup(again)), sorted(groupRollup(got)), `round ${round}: saved and read back`);
    }
    // The run went through every path (the seed is fixed, so these are facts about it, not luck).
    assert.ok(seen.kills >= 2 && seen.truncations >= 2 && seen.folded >= 5 && seen.rebuilt >= 3, JSON.stringify(seen));
  });

  test('one appended line is folded by reading that line, not the ledger', async (t) => {
    const dir = tempDir(t);
    const ledger = await openLedger({ dir, logger: memoryLogger() });
    await ledger.append(
      Array.from({ length: 500 }, (_, i) => record(`a:${i}`, { at: `2026-11-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00.000Z` })),
    );
    assert.equal((await readRollup({ dir, timeZone: 'UTC' })).stats.how, 'rebuilt');
    await ledger.append([record('a:new', { at: '2026-11-30T10:00:00.000Z' })]);
    const one = await readRollup({ dir, timeZone: 'UTC' });
    assert.equal(one.stats.how, 'folded');
    assert.equal(one.stats.linesRead, 1);
    assert.equal(one.interactions, 501);
    // A more complete copy of a stored id: the new line plus the stored copy read back, and the
    // cell it leaves recomputed from its members (500 records over 28 days: a:7 shares its
    // day with a:35, a:63, … — 18 of them including itself, since 7 + 28k < 500 for k ≤ 17).
    await ledger.append([record('a:7', { at: '2026-11-08T10:00:00.000Z', output: 5000 })]);
    const more = await readRollup({ dir, timeZone: 'UTC' });
    assert.equal(more.stats.how, 'folded');
    assert.equal(more.interactions, 501);
    assert.ok(more.stats.linesRead <= 1 + 1 + 18, `read ${more.stats.linesRead} lines`);
    const day8 = more.cells.filter((c) => c.day === '2026-11-08');
    // 18 records × 100 output tokens, one of them now 5000: 17 × 100 + 5000 = 6700
    assert.equal(
      day8.reduce((s, c) => s + c.sums.output, 0),
      6700,
    );
    await ledger.close();
  });

  // A command reads once and ends (saveAfterLines): its rollup file may lag the ledger by a few lines, which
  // the next run folds again, and every run still sees every line.
  test('with saveAfterLines, the file is written after a rebuild, or once that many lines are behind, appended elsewhere or stored', async (t) => {
    const dir = tempDir(t);
    const at = (d: number) => `2026-11-${String(d).padStart(2, '0')}T10:00:00.000Z`;
    const appendElsewhere = async (ids: string[]) => {
      const l = await openLedger({ dir, logger: memoryLogger() });
      await l.append(ids.map((id, i) => record(id, { at: at(1 + (i % 28)) })));
      await l.close();
    };
    const rollupFile = () => {
      const d = path.join(dir, 'cache', 'ledger');
      const names = readdirSync(d);
      assert.equal(names.length, 1, names.join(', '));
      const st = statSync(path.join(d, names[0]));
      return `${st.ino}:${st.size}:${st.mtimeMs}`;
    };
    const command = async () => {
      const index = new RollupIndex({ dir, timeZone: 'UTC', saveAfterLines: 5 });
      const stats = await index.refresh();
      return { stats, interactions: index.rollup().interactions };
    };
    await appendElsewhere(Array.from({ length: 40 }, (_, i) => `s:${i}`));
    assert.deepEqual(await command(), {
      stats: { how: 'rebuilt', linesRead: 41, malformedLines: 0, rebuiltBecause: 'no rollup saved yet' }, // and the segment's header line
      interactions: 40,
    });
    const rebuilt = rollupFile();
    await appendElsewhere(['s:40', 's:41', 's:42']);
    const three = await command();
    assert.deepEqual([three.stats.how, three.stats.linesRead, three.interactions], ['folded', 3, 43]);
    assert.equal(rollupFile(), rebuilt, 'three lines behind: not written');
    await appendElsewhere(['s:43']);
    const four = await command();
    assert.deepEqual([four.stats.how, four.stats.linesRead, four.interactions], ['folded', 4, 44], 'the three again, and the new one');
    assert.equal(rollupFile(), rebuilt, 'four lines behind: not written');
    await appendElsewhere(['s:44']);
    const five = await command();
    assert.deepEqual([five.stats.how, five.stats.linesRead, five.interactions], ['folded', 5, 45]);
    const saved = rollupFile();
    assert.notEqual(saved, rebuilt, 'five lines behind: written');
    const none = await command();
    assert.deepEqual([none.stats.how, none.stats.linesRead, none.interactions], ['cached', 0, 45]);
    assert.equal(rollupFile(), saved, 'nothing new: not written');

    // Lines this process stores through its ledger count as lines behind, as lines others append do: folded here
    // without a read, folded from the ledger by the next process, written once that many are behind.
    const index = new RollupIndex({ dir, timeZone: 'UTC', saveAfterLines: 5 });
    const lean = await openLedger({ dir, logger: memoryLogger(), lazy: true, index: () => index });
    await lean.append([record('s:45', { at: at(2) }), record('s:46', { at: at(3) })]);
    const stats = await index.refresh();
    assert.equal(stats.linesRead, 0, 'its own lines are folded without a read');
    assert.equal(index.rollup().interactions, 47);
    assert.equal(rollupFile(), saved, 'two lines stored here: not written');
    const next = await command();
    assert.deepEqual([next.stats.how, next.stats.linesRead, next.interactions], ['folded', 2, 47], 'the next process folds them');
    assert.equal(rollupFile(), saved, 'nor by the next process, two lines behind');
    await lean.append(['s:47', 's:48', 's:49'].map((id) => record(id, { at: at(4) })));
    await index.refresh();
    assert.notEqual(rollupFile(), saved, 'five stored here: written');
    await lean.close();
    assert.deepEqual([(await command()).stats.how, (await command()).interactions], ['cached', 50]);
  });

  // Every CLI command's rollup (commandRollup): a status line after each agent turn folds what the saved file lacks,
  // and past 128 lines a fold builds the table of every id first (~48 ms for a year of history) on every run.
  test("a command's rollup is written before any run folds more than 128 lines behind it", async (t) => {
    const dir = tempDir(t);
    const other = await openLedger({ dir, logger: memoryLogger() });
    await other.append([record('c:0')]);
    assert.equal((await commandRollup(dir, 'UTC').refresh()).how, 'rebuilt');
    let most = 0;
    for (let i = 1; i <= 140; i++) {
      await other.append([record(`c:${i}`, { output: i })]);
      const index = commandRollup(dir, 'UTC');
      const { linesRead } = await index.refresh();
      assert.equal(index.rollup().interactions, i + 1, `run ${i}`);
      most = Math.max(most, linesRead);
    }
    await other.close();
    assert.equal(most, 128, 'the file lags by up to 128 lines, and no more');
  });

  test('a damaged rollup file is rebuilt from the ledger: cut anywhere, sections longer than the file, garbage', async (t) => {
    const dir = tempDir(t);
    const ledger = await openLedger({ dir, logger: memoryLogger() });
    await ledger.append(
      Array.from({ length: 300 }, (_, i) =>
        record(`d:${i}`, { at: `2026-11-${String(1 + (i % 9)).padStart(2, '0')}T10:00:00.000Z`, output: i }),
      ),
    );
    await ledger.close();
    const good = await readRollup({ dir, timeZone: 'UTC' });
    assert.equal(good.stats.how, 'rebuilt');
    const file = path.join(dir, 'cache', 'ledger', 'rollup-UTC.bin');
    const saved = readFileSync(file);
    const hlen = saved.readUInt32LE(4);
    const header = JSON.parse(saved.toString('utf8', 8, 8 + hlen)) as { ids: number; cells: number };
    assert.equal(header.ids, 300);
    const withHeader = (change: (h: Record<string, unknown>) => void) => {
      const h = JSON.parse(saved.toString('utf8', 8, 8 + hlen)) as Record<string, unknown>;
      change(h);
      const hb = Buffer.from(JSON.stringify(h));
      const len = Buffer.alloc(4);
      len.writeUInt32LE(hb.length);
      // the sections after the header keep their 8-byte alignment when the header's length does
      return Buffer.concat([
        saved.subarray(0, 4),
        len,
        hb,
        Buffer.alloc((8 - ((8 + hb.length) % 8)) % 8),
        saved.subarray(align8(8 + hlen)),
      ]);
    };
    const align8 = (n: number) => n + ((8 - (n % 8)) % 8);
    const hugeHeader = Buffer.from(saved);
    hugeHeader.writeUInt32LE(0xffffffff, 4);
    const cases: [string, Buffer][] = [
      ...[0, 3, 8, 8 + (hlen >> 1), 8 + hlen, saved.length >> 1, saved.length - 1].map((cut): [string, Buffer] => [
        `cut at ${cut}`,
        saved.subarray(0, cut),
      ]),
      ['a header length past the end', hugeHeader],
      ['more ids than the file holds', withHeader((h) => (h.ids = 1e9))],
      ['more cells than the file holds', withHeader((h) => (h.cells = 1e6))],
      ['ids that are not a count', withHeader((h) => (h.ids = 'many'))],
      ['garbage', Buffer.from('URU1 garbage\n'.repeat(100))],
    ];
    // The unchanged file, rewritten the same way, reads back as it was: the cases above differ only where they say.
    writeFileSync(
      file,
      withHeader(() => {}),
    );
    assert.equal((await readRollup({ dir, timeZone: 'UTC' })).stats.how, 'cached');
    for (const [what, bytes] of cases) {
      writeFileSync(file, bytes);
      const r = await readRollup({ dir, timeZone: 'UTC' });
      assert.equal(r.stats.how, 'rebuilt', what);
      assert.match(r.stats.rebuiltBecause ?? '', /unreadable|not one/, what);
      assert.equal(r.interactions, 300, what);
      assert.deepEqual(sorted(groupRollup(r)), sorted(groupRollup(good)), what);
      const again = await readRollup({ dir, timeZone: 'UTC' });
      assert.deepEqual([again.stats.how, again.interactions], ['cached', 300], `${what}: the rebuilt file is saved`);
    }
  });

  // The id index is read on first use, from the file as it was loaded (held open).
  test('the id index read after load: from the file loaded, whatever replaced it since; cut short in place, folded again', async (t) => {
    const dir = tempDir(t);
    const at = (i: number) => `2026-11-${String(1 + (i % 9)).padStart(2, '0')}T10:00:00.000Z`;
    const appendElsewhere = async (ids: string[]) => {
      const l = await openLedger({ dir, logger: memoryLogger() });
      await l.append(ids.map((id, i) => record(id, { at: at(i), output: 100 + i })));
      await l.close();
    };
    await appendElsewhere(Array.from({ length: 200 }, (_, i) => `x:${i}`));
    assert.equal((await readRollup({ dir, timeZone: 'UTC' })).stats.how, 'rebuilt');
    const file = path.join(dir, 'cache', 'ledger', 'rollup-UTC.bin');

    // Replaced by another process (as a save replaces it: a new file renamed over it) after this one loaded it.
    const replaced = new RollupIndex({ dir, timeZone: 'UTC' });
    assert.equal((await replaced.refresh(false)).how, 'cached');
    writeFileSync(`${file}.new`, 'URU1 not a rollup');
    renameSync(`${file}.new`, file);
    const copies = await replaced.storedCopies(['x:7', 'x:199', 'absent']);
    assert.deepEqual([...copies.keys()], ['x:7', 'x:199']);
    assert.equal(copies.get('x:199')!.tokens.output, 100 + 199);

    // Records of chosen cells from an index not read yet (its cell column, then the stretch the chosen ids span),
    // as from one read whole; and, the file cut short in place, from the ledger folded again.
    rmSync(file);
    assert.equal((await readRollup({ dir, timeZone: 'UTC' })).stats.how, 'rebuilt');
    const ids = (rs: Interaction[]) => rs.map((r) => r.id).sort();
    // x:i is on day 1 + (i % 9): x:2, x:11, …, x:191 on the 3rd (22 ids); x:0, x:9, …, x:198 on the 1st (23).
    const third = Array.from({ length: 22 }, (_, k) => `x:${2 + 9 * k}`).sort();
    const first = Array.from({ length: 23 }, (_, k) => `x:${9 * k}`).sort();
    const unreadIndex = new RollupIndex({ dir, timeZone: 'UTC' });
    await unreadIndex.refresh(false);
    assert.deepEqual(ids(await unreadIndex.recordsOfCells((c) => c.day === '2026-11-03')), third);
    assert.deepEqual(
      ids(await unreadIndex.recentRecords('2026-11-09T00:00:00.000Z')),
      Array.from({ length: 22 }, (_, k) => `x:${8 + 9 * k}`).sort(),
    );
    await unreadIndex.storedCopies(['x:0']); // reads the index whole
    assert.deepEqual(ids(await unreadIndex.recordsOfCells((c) => c.day === '2026-11-01')), first);
    const cutColumn = new RollupIndex({ dir, timeZone: 'UTC' });
    await cutColumn.refresh(false);
    truncateSync(file, statSync(file).size - 9);
    assert.deepEqual(ids(await cutColumn.recordsOfCells((c) => c.day === '2026-11-03')), third);
    assert.equal(cutColumn.rollup().interactions, 200);
    assert.equal(cutColumn.lastRefresh.how, 'folded', 'folded again from the ledger');

    // Cut short in place after load, in its hash column (the index's first: 200 ids, 4 bytes each, then 16 bytes
    // of other columns per id): the lines new since are folded into a state folded again from the ledger.
    rmSync(file);
    assert.equal((await readRollup({ dir, timeZone: 'UTC' })).stats.how, 'rebuilt');
    const cut = new RollupIndex({ dir, timeZone: 'UTC' });
    assert.equal((await cut.refresh(false)).how, 'cached');
    truncateSync(file, statSync(file).size - 16 * 200 - 9);
    await appendElsewhere(['x:200', 'x:201']);
    const stats = await cut.refresh(false);
    assert.equal(stats.how, 'rebuilt');
    assert.match(stats.rebuiltBecause ?? '', /the saved rollup is unreadable \(shorter than its header says\)/);
    const fresh = await openLedger({ dir, logger: memoryLogger() });
    assert.equal(cut.rollup().interactions, 202);
    assert.deepEqual(sorted(groupRollup(cut.rollup())), sorted(groupRecords(fresh.records())));

    // Cut short after its hash column: a fold of new ids looks up their hashes alone and is exact. The save, which
    // writes every column, reads the rest, finds it cut, and folds the ledger again: the file it writes is whole.
    rmSync(file);
    assert.equal((await readRollup({ dir, timeZone: 'UTC' })).stats.how, 'rebuilt');
    const cutLate = new RollupIndex({ dir, timeZone: 'UTC' });
    assert.equal((await cutLate.refresh(false)).how, 'cached');
    truncateSync(file, statSync(file).size - 9);
    await appendElsewhere(['x:202', 'x:203']);
    assert.equal((await cutLate.refresh(false)).how, 'folded');
    const twoMore = await openLedger({ dir, logger: memoryLogger() });
    assert.equal(cutLate.rollup().interactions, 204);
    assert.deepEqual(sorted(groupRollup(cutLate.rollup())), sorted(groupRecords(twoMore.records())));
    await cutLate.save();
    assert.equal(cutLate.rollup().interactions, 204);
    assert.deepEqual(sorted(groupRollup(cutLate.rollup())), sorted(groupRecords(twoMore.records())));
    const saved = await readRollup({ dir, timeZone: 'UTC' });
    assert.deepEqual([saved.stats.how, saved.interactions], ['cached', 204]);
    assert.deepEqual(sorted(groupRollup(saved)), sorted(groupRecords(twoMore.records())));
    await twoMore.close();
    await fresh.close();

    // The same when a stored copy is asked for first.
    rmSync(file);
    assert.equal((await readRollup({ dir, timeZone: 'UTC' })).stats.how, 'rebuilt');
    const asked = new RollupIndex({ dir, timeZone: 'UTC' });
    assert.equal((await asked.refresh(false)).how, 'cached');
    truncateSync(file, statSync(file).size - 9);
    assert.equal((await asked.storedCopies(['x:201'])).get('x:201')!.tokens.output, 101);
    assert.equal(asked.rollup().interactions, 204);

    // Ids folded after a load that read the saved index's hashes alone: a cell's records come from the file's
    // columns for the ids it held, and from memory for those folded since (y:2 is on the 3rd).
    rmSync(file);
    assert.equal((await readRollup({ dir, timeZone: 'UTC' })).stats.how, 'rebuilt');
    const folded = new RollupIndex({ dir, timeZone: 'UTC' });
    assert.equal((await folded.refresh(false)).how, 'cached');
    await appendElsewhere(['y:0', 'y:1', 'y:2']);
    assert.equal((await folded.refresh(false)).how, 'folded');
    assert.deepEqual(ids(await folded.recordsOfCells((c) => c.day === '2026-11-03')), [...third, 'y:2'].sort());
  });

  // A view adds a loaded cell's sums as read from the file's column (SavedCell.read): each must come back under its name.
  test('a cell read back from its file holds every sum it was saved with, each under its own name', async (t) => {
    const dir = tempDir(t);
    const ledger = await openLedger({ dir, logger: memoryLogger() });
    const at = (h: number) => `2026-11-05T${String(h).padStart(2, '0')}:00:00.000Z`;
    const tokens = (reasoning: number, cacheWrite1h: number) => ({
      input: 4,
      output: 100,
      cacheRead: 1_000,
      cacheWrite5m: 20,
      cacheWrite1h,
      reasoning,
    });
    await ledger.append([
      // Cloud: one with the agent's own cost stated and a cheaper model's avoided cost, one estimated. (An unpriced
      // record, or a local one whose cloud price is unknown, is kept whole, not in a cell: its price follows the settings.)
      record('s:1', {
        at: at(9),
        costNanos: 30_000_000,
        avoidedNanos: 7_000_000,
        tokens: tokens(50, 900),
        ...{ agentCostNanos: 25_000_000 },
      }),
      record('s:2', { at: at(10), costNanos: 2_000_000, estimated: true, tokens: tokens(3, 0) }),
      // Local: one with the avoided cloud price known, one that replaced no cloud model.
      record('s:3', {
        at: at(11),
        route: 'local',
        replaces: 'claude-sonnet-4-5-20250929',
        costNanos: 0,
        avoidedNanos: 5_000_000,
        tokens: tokens(0, 0),
      }),
      record('s:4', { at: at(12), route: 'local', replaces: null, costNanos: 0, avoidedNanos: null, tokens: tokens(0, 0) }),
    ]);
    await ledger.close();
    assert.equal((await readRollup({ dir, timeZone: 'UTC' })).stats.how, 'rebuilt');
    const saved = await readRollup({ dir, timeZone: 'UTC' });
    assert.equal(saved.stats.how, 'cached');
    const byRoute = Object.fromEntries(saved.cells.map((c) => [c.route, { ...c.sums }]));
    assert.equal(saved.loose.length, 0);
    assert.deepEqual(byRoute.cloud, {
      costNanos: 32_000_000,
      avoidedNanos: 0,
      avoidedAllNanos: 7_000_000,
      input: 8,
      output: 200,
      cacheRead: 2_000,
      cacheWrite: 940,
      reasoning: 53,
      interactions: 2,
      unpriced: 0,
      estimated: 1,
      local: 0,
      localPriced: 0,
      agentCosted: 1,
      agentCostNanos: 25_000_000,
      agentCostOurNanos: 30_000_000,
    });
    assert.deepEqual(byRoute.local, {
      costNanos: 0,
      avoidedNanos: 5_000_000,
      avoidedAllNanos: 5_000_000,
      input: 8,
      output: 200,
      cacheRead: 2_000,
      cacheWrite: 40,
      reasoning: 0,
      interactions: 2,
      unpriced: 0,
      estimated: 0,
      local: 2,
      localPriced: 1,
      agentCosted: 0,
      agentCostNanos: 0,
      agentCostOurNanos: 0,
    });
  });

  // A saved cell's names and instants stay in the file's columns until asked for; the instants column is latin1 text,
  // padded: an instant without milliseconds (a canonical form too) must come back as written, not padded or widened.
  test('a cell read back from its file has the names and first and last instants it was saved with; a damaged instant is rebuilt', async (t) => {
    const dir = tempDir(t);
    const ledger = await openLedger({ dir, logger: memoryLogger() });
    const names = { agent: 'codex', model: 'gpt-5-codex', project: 'webapp', repo: 'github.com/acme/webapp', branch: 'main' };
    await ledger.append([
      record('n:1', { at: '2026-11-06T08:00:00Z', ...names }),
      record('n:2', { at: '2026-11-06T09:15:30.125Z', ...names }),
      record('n:3', { at: '2026-11-07T23:59:59.999Z', project: null, route: 'local', replaces: null, costNanos: 0 }),
    ]);
    await ledger.close();
    const brief = (r: Rollup) =>
      r.cells
        .map((c) => [c.day, c.agent, c.model, c.project, c.route, c.repo, c.branch, c.session, c.source, c.firstAt, c.lastAt].join(' | '))
        .sort();
    const expected = [
      '2026-11-06 | codex | gpt-5-codex | webapp | cloud | github.com/acme/webapp | main |  | log | 2026-11-06T08:00:00Z | 2026-11-06T09:15:30.125Z',
      '2026-11-07 | claude-code | claude-sonnet-4-5-20250929 |  | local |  |  |  | log | 2026-11-07T23:59:59.999Z | 2026-11-07T23:59:59.999Z',
    ];
    const built = await readRollup({ dir, timeZone: 'UTC' });
    assert.equal(built.stats.how, 'rebuilt');
    assert.deepEqual(brief(built), expected);
    const saved = await readRollup({ dir, timeZone: 'UTC' });
    assert.equal(saved.stats.how, 'cached');
    assert.deepEqual(brief(saved), expected);
    assert.equal(saved.loose.length, 0, 'both instant forms are canonical: every record is in a cell');

    // One digit of a saved instant made a letter: the file is not used, and the cells are folded again from the ledger.
    const file = path.join(dir, 'cache', 'ledger', 'rollup-UTC.bin');
    const bytes = readFileSync(file);
    const at = bytes.indexOf('2026-11-06T09:15:30.125Z', 0, 'latin1');
    assert.ok(at > 0, 'the instant is in the file as text');
    bytes.write('x', at + 12, 'latin1');
    writeFileSync(file, bytes);
    const damaged = await readRollup({ dir, timeZone: 'UTC' });
    assert.equal(damaged.stats.how, 'rebuilt');
    assert.match(damaged.stats.rebuiltBecause ?? '', /unreadable \(a cell's instant is not one\)/);
    assert.deepEqual(brief(damaged), expected);
  });

  // placesInFile scans the saved index's cell column through a window of 16,384 ids: the ids of the chosen cells are
  // found on both sides of a window's edge, and at the very end, as when the index is read whole.
  test('records of chosen cells from an index not read yet: ids on both sides of the scan window edges are all found', async (t) => {
    const dir = tempDir(t);
    const ledger = await openLedger({ dir, logger: memoryLogger() });
    const n = 33_000;
    const chosen = new Set([0, 16_383, 16_384, 32_767, 32_768, n - 1]);
    await ledger.append(Array.from({ length: n }, (_, i) => record(`w:${i}`, { project: chosen.has(i) ? 'chosen' : 'other', output: i })));
    await ledger.close();
    assert.equal((await readRollup({ dir, timeZone: 'UTC' })).stats.how, 'rebuilt');
    const brief = (rs: Interaction[]) => rs.map((r) => `${r.id} ${r.tokens.output}`).sort();
    const want = ['w:0 0', 'w:16383 16383', 'w:16384 16384', 'w:32767 32767', 'w:32768 32768', 'w:32999 32999'].sort();
    const unread = new RollupIndex({ dir, timeZone: 'UTC', save: false });
    assert.equal((await unread.refresh()).how, 'cached');
    assert.deepEqual(brief(await unread.recordsOfCells((c) => c.project === 'chosen')), want);
    const whole = new RollupIndex({ dir, timeZone: 'UTC', save: false });
    await whole.refresh();
    await whole.storedCopies(['w:1']); // reads the index whole
    assert.deepEqual(brief(await whole.recordsOfCells((c) => c.project === 'chosen')), want);
  });

  // The status line's block is Claude Code's: the other agents' records of the day are not read back for it.
  test("an agent's recent records: only that agent's, from its cells, from an index read or not", async (t) => {
    const dir = tempDir(t);
    const ledger = await openLedger({ dir, logger: memoryLogger() });
    const today = (h: number) => `2026-11-09T${String(h).padStart(2, '0')}:00:00.000Z`;
    await ledger.append([
      record('c:1', { at: today(8) }),
      record('c:2', { at: today(9), project: 'webapp' }),
      record('c:old', { at: '2026-11-01T10:00:00.000Z' }),
      record('x:1', { at: today(8), agent: 'codex', model: 'gpt-5-codex' }),
      record('x:2', { at: today(10), agent: 'codex', model: 'gpt-5-codex' }),
      // Its instant is not canonical: kept loose, and picked by its agent too.
      record('c:loose', { at: '2026-11-09T11:00:00+00:00' }),
    ]);
    await ledger.close();
    assert.equal((await readRollup({ dir, timeZone: 'UTC' })).stats.how, 'rebuilt');
    const ids = (rs: Interaction[]) => rs.map((r) => r.id).sort();
    const since = '2026-11-09T00:00:00.000Z';
    for (const whole of [false, true]) {
      const index = new RollupIndex({ dir, timeZone: 'UTC', save: false });
      assert.equal((await index.refresh()).how, 'cached');
      if (whole) await index.storedCopies(['c:1']); // reads the index whole
      assert.deepEqual(ids(await index.recentRecords(since, 'claude-code')), ['c:1', 'c:2', 'c:loose'], `index read: ${whole}`);
      assert.deepEqual(ids(await index.recentRecords(since, 'codex')), ['x:1', 'x:2'], `index read: ${whole}`);
      assert.deepEqual(ids(await index.recentRecords(since, 'gemini-cli')), [], `index read: ${whole}`);
      assert.deepEqual(ids(await index.recentRecords(since)), ['c:1', 'c:2', 'c:loose', 'x:1', 'x:2'], `index read: ${whole}`);
    }
  });

  // Names come from agents' logs: any character, a separator's included, must still make its own cell.
  test('names that would share a key joined by a separator still make their own cells', async (t) => {
    const dir = tempDir(t);
    const ledger = await openLedger({ dir, logger: memoryLogger() });
    // 20 records, each on its own day: 20 cells placed, past the first 16 found by a scan, so the table of keys is in use.
    const spread = Array.from({ length: 20 }, (_, i) =>
      record(`k:${i}`, { at: `2026-10-${String(i + 1).padStart(2, '0')}T10:00:00.000Z` }),
    );
    const odd = [
      record('k:none', { at: '2026-11-05T10:00:00.000Z', project: null, output: 1 }),
      record('k:one', { at: '2026-11-05T11:00:00.000Z', project: '\u0001', output: 2 }),
      record('k:nul', { at: '2026-11-05T12:00:00.000Z', project: 'a\u0000b', output: 4 }),
      record('k:nul2', { at: '2026-11-05T13:00:00.000Z', project: 'a', repo: 'b', output: 8 }),
    ];
    await ledger.append([...spread, ...odd]);
    await ledger.close();
    const r = await readRollup({ dir, timeZone: 'UTC' });
    const fifth = r.cells.filter((c) => c.day === '2026-11-05').map((c) => [c.project, c.repo, c.sums.output, c.sums.interactions]);
    assert.deepEqual(
      fifth.sort((a, b) => Number(a[2]) - Number(b[2])),
      [
        [null, null, 1, 1],
        ['\u0001', null, 2, 1],
        ['a\u0000b', null, 4, 1],
        ['a', 'b', 8, 1],
      ],
    );
  });

  test('the records of chosen cells are read back whole, lines short and many times longer than one read', async (t) => {
    const dir = tempDir(t);
    // One month's segment of ~2.7 MB: 3,000 short lines over 28 days, and among them lines of 20 kB, of 300 kB and
    // one of 1.2 MB, longer than the 1 MiB spans many places are read in (one line alone is read 4 kB at first, then
    // in a buffer doubled until its newline is in), and the last line one of 20 kB: one day, three days apart, and
    // every day.
    const records = Array.from({ length: 3000 }, (_, i) =>
      record(`s:${i}`, {
        at: `2026-11-${String(1 + (i % 28)).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}:00:00.000Z`,
        output: i,
        project:
          i === 1234
            ? `/w/${'m'.repeat(1_200_000)}`
            : i % 97 === 0 || i === 2999
              ? `/w/${'q'.repeat(20_000)}`
              : i % 1000 === 500
                ? `/w/${'r'.repeat(300_000)}`
                : 'acme',
      }),
    );
    const ledger = await openLedger({ dir, logger: memoryLogger() });
    await ledger.append(records);
    await ledger.close();
    await readRollup({ dir, timeZone: 'UTC' });
    const index = new RollupIndex({ dir, timeZone: 'UTC' });
    await index.refresh(false);
    const brief = (rs: Interaction[]) => rs.map((r) => `${r.id} ${r.project?.length} ${r.tokens.output}`).sort();
    for (const days of [
      ['2026-11-03'],
      ['2026-11-01', '2026-11-15', '2026-11-28'],
      Array.from({ length: 28 }, (_, d) => `2026-11-${String(d + 1).padStart(2, '0')}`),
    ]) {
      const got = await index.recordsOfCells((c) => days.includes(c.day));
      assert.deepEqual(brief(got), brief(records.filter((r) => days.includes(r.at.slice(0, 10)))), days.join(' '));
    }
  });

  // The saved file is a cache, and untrusted: a place that cannot be one must not reach a read (a NaN offset threw
  // out of `export` and the status line), nor be taken for a record.
  test('a saved id index whose places are damaged is folded again from the ledger: every record and id is found', async (t) => {
    const dir = tempDir(t);
    const records = Array.from({ length: 40 }, (_, i) =>
      record(`d:${i}`, { at: `2026-11-${String(1 + (i % 20)).padStart(2, '0')}T10:00:00.000Z`, output: i }),
    );
    const ledger = await openLedger({ dir, logger: memoryLogger() });
    await ledger.append(records);
    await ledger.close();
    assert.equal((await readRollup({ dir, timeZone: 'UTC' })).stats.how, 'rebuilt');
    const file = path.join(dir, 'cache', 'ledger', 'rollup-UTC.bin');
    const brief = (rs: Interaction[]) => rs.map((r) => `${r.id} ${r.tokens.output}`).sort();
    // The file ends with the index's offsets (8 bytes an id) and cells (4 bytes an id): damage the offsets.
    for (const damage of [Buffer.alloc(8 * 40, 0xff), Buffer.alloc(8 * 40, 0x41)]) {
      const fd = openSync(file, 'r+');
      writeSync(fd, damage, 0, damage.length, statSync(file).size - 12 * 40);
      closeSync(fd);
      const index = new RollupIndex({ dir, timeZone: 'UTC', save: false });
      assert.equal((await index.refresh()).how, 'cached', 'the damage is in the id index only');
      assert.deepEqual(brief(await index.recordsOfCells(() => true)), brief(records));
      const other = new RollupIndex({ dir, timeZone: 'UTC', save: false });
      await other.refresh();
      assert.deepEqual([...(await other.storedCopies(['d:7', 'absent', 'd:33'])).keys()], ['d:7', 'd:33']);
    }
  });

  test('a store that reaches a damaged saved id index while folding its own lines folds again from the ledger', async (t) => {
    const dir = tempDir(t);
    const at = (i: number) => `2026-11-${String(1 + (i % 20)).padStart(2, '0')}T10:00:00.000Z`;
    const ledger = await openLedger({ dir, logger: memoryLogger() });
    await ledger.append(Array.from({ length: 40 }, (_, i) => record(`d:${i}`, { at: at(i), output: i })));
    await ledger.close();
    assert.equal((await readRollup({ dir, timeZone: 'UTC' })).stats.how, 'rebuilt');
    const file = path.join(dir, 'cache', 'ledger', 'rollup-UTC.bin');
    const damage = Buffer.alloc(8 * 40, 0xff); // the index's offsets (8 bytes an id, before its cells' 4)
    const fd = openSync(file, 'r+');
    writeSync(fd, damage, 0, damage.length, statSync(file).size - 12 * 40);
    closeSync(fd);
    // New ids only: the lookups before the append read the index's hashes, not its offsets. The fold reads the rest
    // once its ids outgrow the room kept beside the saved ones (1,024), and finds the damage there.
    const index = new RollupIndex({ dir, timeZone: 'UTC', saveAfterLines: 5000 });
    const lean = await openLedger({ dir, logger: memoryLogger(), lazy: true, index: () => index });
    const added = Array.from({ length: 1100 }, (_, i) => record(`n:${i}`, { at: at(i), output: 1000 + i }));
    assert.equal((await lean.append(added)).length, 1100);
    const got = index.rollup();
    await lean.close();
    const fresh = await openLedger({ dir, logger: memoryLogger() });
    assert.equal(got.interactions, 1140);
    assert.deepEqual(sorted(groupRollup(got)), sorted(groupRecords(fresh.records())));
    await fresh.close();
  });

  test('the stored copy of an id is read back whole when its line is longer than one read', async (t) => {
    const dir = tempDir(t);
    const index = new RollupIndex({ dir, timeZone: 'UTC' });
    const lean = await openLedger({ dir, logger: memoryLogger(), lazy: true, index: () => index });
    const project = `/work/${'p'.repeat(20_000)}`;
    await lean.append([record('long:0'), record('long:1', { project, output: 200 }), record('long:2')]);
    const stored = await index.storedCopies(['long:1', 'absent', 'long:2']);
    assert.deepEqual([...stored.keys()], ['long:1', 'long:2']);
    assert.equal(stored.get('long:1')!.project, project);
    assert.equal(stored.get('long:1')!.tokens.output, 200);
    // Which copy is kept is decided against the stored one: a less complete copy is not written, a more complete one is.
    assert.deepEqual(await lean.append([record('long:1', { project, output: 100 })]), []);
    assert.deepEqual(
      (await lean.append([record('long:1', { project, output: 300 })])).map((r) => r.tokens.output),
      [300],
    );
    await lean.close();
    const fresh = await openLedger({ dir, logger: memoryLogger() });
    assert.equal(fresh.get('long:1')!.tokens.output, 300);
    await fresh.close();
  });

  test('a lazily opened ledger reads no segment until a record is needed, then keeps one copy per id', async (t) => {
    const dir = tempDir(t);
    const first = await openLedger({ dir, logger: memoryLogger() });
    await first.append([record('l:1'), record('l:2')]);
    await first.close();
    const lazy = await openLedger({ dir, logger: memoryLogger(), lazy: true });
    assert.equal(lazy.stats.segments, 0);
    assert.throws(() => lazy.records(), /opened lazily/);
    assert.throws(() => lazy.get('l:1'), /opened lazily/);
    // The append loads first, so the copy already stored (same tokens) is not written again.
    assert.deepEqual(await lazy.append([record('l:1'), record('l:3')]), [record('l:3')]);
    assert.deepEqual(
      lazy.records().map((r) => r.id),
      ['l:1', 'l:2', 'l:3'],
    );
    await lazy.close();
    assert.equal(lazy.records().length, 3, 'still readable after close, as an eagerly opened ledger is');
  });

  // What a ledger opened with the rollup as its index appends (an import, the gateway) is folded from
  // the records in hand, not read back: exact only if it is what a read of those lines gives. Another
  // writer's appends and garbage lines in between must still be read.
  test('lines its own ledger appends are folded without a read, and the rollup still equals a full recomputation', async (t) => {
    const dir = tempDir(t);
    const rnd = prng(8621);
    const ids: string[] = [];
    const index = new RollupIndex({ dir, timeZone: 'UTC' });
    const lean = await openLedger({ dir, logger: memoryLogger(), lazy: true, index: () => index });
    let unread = 0;
    for (let round = 0; round < 25; round++) {
      const other = rnd() < 0.3;
      if (other) {
        // Another process: its lines are the index's to read.
        const l = await openLedger({ dir, logger: memoryLogger() });
        await l.append(Array.from({ length: 1 + Math.floor(rnd() * 30) }, () => randomRecord(rnd, ids)));
        await l.close();
        if (rnd() < 0.3) appendFileSync(path.join(dir, 'ledger', readdirSync(path.join(dir, 'ledger'))[0]), '{"id":"x","t":[1,2]}\n');
      }
      await lean.append(Array.from({ length: 1 + Math.floor(rnd() * 80) }, () => randomRecord(rnd, ids)));
      const stats = await index.refresh();
      if (!other && stats.linesRead === 0) unread++;
      const got = index.rollup();
      const fresh = await openLedger({ dir, logger: memoryLogger() });
      assert.equal(got.interactions, fresh.records().length, `round ${round}: interactions`);
      assert.deepEqual(sorted(groupRollup(got)), sorted(groupRecords(fresh.records())), `round ${round}: sums against openLedger`);
      assert.deepEqual(sorted(groupRollup(got)), sorted(groupRecords(foldByHand(dir).values())), `round ${round}: sums against the fold`);
      await fresh.close();
      // Rebuilt from the ledger alone: the same cells, and the records kept whole exactly as read.
      rmSync(path.join(dir, 'cache'), { recursive: true, force: true });
      const rebuilt = await readRollup({ dir, timeZone: 'UTC', save: false });
      assert.equal(rebuilt.stats.how, 'rebuilt');
      assert.deepEqual(sorted(groupRollup(got)), sorted(groupRollup(rebuilt)), `round ${round}: against a rebuild`);
      const byId = (xs: Interaction[]) => [...xs].sort((a, b) => (a.id < b.id ? -1 : 1));
      assert.deepEqual(byId(got.loose), byId(rebuilt.loose), `round ${round}: records kept whole`);
      assert.equal(got.stats.malformedLines, rebuilt.stats.malformedLines, `round ${round}: malformed lines`);
    }
    await lean.close();
    // Its own appends were folded without reading a line back (the first one creates the segments it is read from).
    assert.ok(unread >= 10, `rounds whose appends were folded unread: ${unread}`);
  });

  test('ids that share a hash are each found and kept on their own, from a saved index not read yet', async (t) => {
    const dir = tempDir(t);
    // Two ids of the same FNV-1a hash (view.ts hashId), found by trying c:0, c:1, … until two met.
    const [a, b] = ['c:661999', 'c:1083776'];
    assert.equal(hashId(a), hashId(b));
    const ledger = await openLedger({ dir, logger: memoryLogger() });
    await ledger.append([record('x:0'), record(a, { output: 100 }), record('x:1'), record(b, { output: 200 })]);
    await ledger.close();
    assert.equal((await readRollup({ dir, timeZone: 'UTC' })).stats.how, 'rebuilt');
    const index = new RollupIndex({ dir, timeZone: 'UTC', save: false });
    const lean = await openLedger({ dir, logger: memoryLogger(), lazy: true, index: () => index });
    const stored = await index.storedCopies([b, a]);
    assert.deepEqual([stored.get(a)?.tokens.output, stored.get(b)?.tokens.output], [100, 200]);
    // A lesser copy of the second is not written; a more complete one is, and replaces it alone.
    assert.deepEqual(await lean.append([record(b, { output: 150 })]), []);
    assert.equal((await lean.append([record(b, { output: 900 })])).length, 1);
    await index.refresh();
    const got = index.rollup();
    await lean.close();
    const fresh = await openLedger({ dir, logger: memoryLogger() });
    assert.deepEqual([fresh.get(a)?.tokens.output, fresh.get(b)?.tokens.output], [100, 900]);
    assert.deepEqual(sorted(groupRollup(got)), sorted(groupRecords(fresh.records())));
    await fresh.close();
  });

  test('lines behind in a ledger with nothing appended for a minute are written by the next command, once', async (t) => {
    const dir = tempDir(t);
    const at = (d: number) => `2026-11-${String(d).padStart(2, '0')}T10:00:00.000Z`;
    const segment = path.join(dir, 'ledger', '2026-11.jsonl');
    const rollupFile = path.join(dir, 'cache', 'ledger', 'rollup-UTC.bin');
    const written = () => statSync(rollupFile).mtimeMs;
    const command = async () => {
      const index = new RollupIndex({ dir, timeZone: 'UTC', saveAfterLines: 1000 });
      const stats = await index.refresh();
      return [stats.how, stats.linesRead, index.rollup().interactions];
    };
    const quiet = () => utimesSync(segment, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    const other = await openLedger({ dir, logger: memoryLogger() });
    await other.append(Array.from({ length: 20 }, (_, i) => record(`q:${i}`, { at: at(1 + (i % 28)) })));
    assert.deepEqual(await command(), ['rebuilt', 21, 20]); // and the segment's header line
    const rebuilt = written();
    await other.append([record('q:20', { at: at(5) }), record('q:21', { at: at(6) })]);
    await other.close();
    assert.deepEqual(await command(), ['folded', 2, 22]);
    assert.equal(written(), rebuilt, 'appended moments ago: not written');
    quiet();
    assert.deepEqual(await command(), ['folded', 2, 22]);
    const saved = written();
    assert.notEqual(saved, rebuilt, 'nothing appended for two minutes: written');
    assert.deepEqual(await command(), ['cached', 0, 22]);
    assert.equal(written(), saved, 'once');
    // Lines a command stored itself, the same way.
    const index = new RollupIndex({ dir, timeZone: 'UTC', saveAfterLines: 1000 });
    const lean = await openLedger({ dir, logger: memoryLogger(), lazy: true, index: () => index });
    await lean.append([record('q:22', { at: at(7) })]);
    await index.refresh();
    await lean.close();
    assert.equal(written(), saved, 'stored moments ago: not written');
    quiet();
    assert.deepEqual(await command(), ['folded', 1, 23]);
    assert.notEqual(written(), saved, 'stored two minutes ago: written by the next command');
  });

  // A command run after each few new lines (a status line): it loads the saved file, stores a few records (new ids, and
  // copies of ids the saved index holds, more complete, tied or lesser), and saves only once enough lines are behind.
  test('commands that store a few lines each and save once that many are behind: every rollup equals a full recomputation', async (t) => {
    const dir = tempDir(t);
    const rnd = prng(4242);
    const ids: string[] = [];
    const first = await openLedger({ dir, logger: memoryLogger() });
    await first.append(Array.from({ length: 200 }, () => randomRecord(rnd, ids)));
    await first.close();
    const seen = { saved: 0, notSaved: 0, folded: 0 };
    const rollupFile = path.join(dir, 'cache', 'ledger', 'rollup-UTC.bin');
    for (let run = 0; run < 30; run++) {
      const before = existsSync(rollupFile) ? statSync(rollupFile).mtimeMs : -1;
      const index = new RollupIndex({ dir, timeZone: 'UTC', saveAfterLines: 12 });
      const lean = await openLedger({ dir, logger: memoryLogger(), lazy: true, index: () => index });
      await lean.append(Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => randomRecord(rnd, ids)));
      await index.refresh();
      const got = index.rollup();
      await lean.close();
      if ((existsSync(rollupFile) ? statSync(rollupFile).mtimeMs : -1) !== before) seen.saved++;
      else seen.notSaved++;
      const fresh = await openLedger({ dir, logger: memoryLogger() });
      const truth = sorted(groupRecords(fresh.records()));
      assert.equal(got.interactions, fresh.records().length, `run ${run}: interactions`);
      await fresh.close();
      assert.deepEqual(sorted(groupRollup(got)), truth, `run ${run}: the command's rollup`);
      // What the next command starts from: the saved file, and the lines it lacks folded from the ledger.
      const next = await readRollup({ dir, timeZone: 'UTC', save: false });
      if (next.stats.how === 'folded') seen.folded++;
      assert.deepEqual(sorted(groupRollup(next)), truth, `run ${run}: the next command's rollup`);
    }
    // Both ways happened (a fixed seed: facts about this run, not luck).
    assert.ok(seen.saved >= 3 && seen.notSaved >= 10 && seen.folded >= 10, JSON.stringify(seen));
  });
});
