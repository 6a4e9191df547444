import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeBatch, openLedger, watchLedger, type Ledger } from '../../src/core/ledger/index';
import { memoryLogger } from '../../src/core/ports';
import type { Interaction } from '../../src/core/interaction';
import { record } from './fixtures/records';
import { idsOnDisk, segmentFiles, tempDir } from './helpers';

const ids = (rs: readonly Interaction[]) => rs.map((r) => r.id);

async function reopen(dir: string, logger = memoryLogger()): Promise<Ledger & { lines: string[] }> {
  const l = await openLedger({ dir, logger });
  return Object.assign(l, { lines: logger.lines });
}

test('records round-trip through the files exactly, including nulls, optional flags, unicode and extra fields', async (t) => {
  const dir = tempDir(t);
  const variety: Interaction[] = [
    record('anthropic:msg_01A'),
    record('openai:resp_1', { agent: 'codex', model: 'gpt-5-codex', project: null, costNanos: null, priceSource: null, estimated: true }),
    record('gateway:ø/ünï"cödé\\\n', {
      route: 'local',
      model: 'qwen3-coder:30b',
      replaces: 'claude-sonnet-4-5',
      costNanos: 0,
      avoidedNanos: 1_234_567_890_123,
      priceInferred: true,
      fast: false,
    }),
    { ...record('future:1', { at: '2025-12-31T23:59:59.999Z' }), sessionHash: 'abc', nested: { n: 1 } } as Interaction,
  ];
  const l = await openLedger({ dir });
  assert.deepEqual(await l.append(variety), variety);
  assert.deepEqual(l.records(), variety);
  await l.close();
  const again = await reopen(dir);
  // read back segment by segment, months in order
  assert.deepEqual(again.records(), [variety[3], ...variety.slice(0, 3)]);
  assert.deepEqual(again.get('gateway:ø/ünï"cödé\\\n'), variety[2]);
  assert.equal(again.stats.malformedLines, 0);
  assert.deepEqual(again.lines, []);
  // one segment per UTC month, each starting with a versioned header
  assert.deepEqual(
    segmentFiles(dir).map((f) => path.basename(f)),
    ['2025-12.jsonl', '2026-11.jsonl'],
  );
  for (const f of segmentFiles(dir)) assert.match(readFileSync(f, 'utf8').split('\n')[0], /^\{"unmetered":"ledger","version":1,/);
  await again.close();
});

test('a batch is written as the UTF-8 of its lines, after the repair newline when one is due, whatever characters they hold', () => {
  const lines = ['{"id":"a"}\n', '{"p":"ø/ünï cödé"}\n', '{"p":"日本語 ✓"}\n', '{"p":"😀 \ud83d alone"}\n', '', '{"id":"z"}\n'];
  for (const newline of [false, true]) {
    const expected = Buffer.from((newline ? '\n' : '') + lines.join(''), 'utf8');
    assert.deepEqual(encodeBatch(lines, newline), expected, `newline ${newline}`);
  }
  assert.equal(encodeBatch([], false).length, 0);
});

test('append is idempotent by id: a copy with an equal or smaller token total is not written', async (t) => {
  const dir = tempDir(t);
  const l = await openLedger({ dir });
  assert.equal((await l.append([record('a'), record('b')])).length, 2);
  assert.deepEqual(await l.append([record('a'), record('b', { output: 99 })]), []);
  assert.deepEqual(
    await l.append([record('a', { at: '2026-01-01T00:00:00.000Z' })]),
    [],
    'a stored id is found whatever month the copy claims',
  );
  assert.deepEqual(idsOnDisk(dir), ['a', 'b']);
  assert.equal(l.records().length, 2);
  assert.ok(l.has('a') && !l.has('c'));
  await l.close();
});

test('the most complete copy wins, within a batch, across appends and months, and after reopening', async (t) => {
  const dir = tempDir(t);
  const l = await openLedger({ dir });
  const partial = record('msg', { output: 1 });
  const complete = record('msg', { output: 312 });
  const written = await l.append([partial, record('other'), record('msg', { output: 5 })]);
  assert.deepEqual(
    written.map((r) => r.tokens.output),
    [100, 5],
    'within a batch only the largest copy of an id is written',
  );
  assert.deepEqual(await l.append([complete]), [complete]);
  assert.deepEqual(ids(l.records()), ['msg', 'other'], 'a superseding copy keeps the position of the first');
  assert.equal(l.get('msg')!.tokens.output, 312);
  // the same response seen later through another source, with a timestamp in the next month
  const viaGateway = record('msg', { output: 400, source: 'gateway', at: '2026-12-01T00:00:00.500Z' });
  assert.deepEqual(await l.append([viaGateway]), [viaGateway]);
  await l.close();
  const again = await reopen(dir);
  assert.deepEqual(again.get('msg'), viaGateway);
  assert.equal(again.records().length, 2);
  assert.equal(again.stats.duplicateLines, 2, 'the superseded copies are on disk but not in the view');
  await again.close();
});

test('an invalid record is refused with a message naming it, and nothing of its batch is written', async (t) => {
  const dir = tempDir(t);
  const l = await openLedger({ dir });
  const bad = { ...record('bad'), source: 'carrier-pigeon' } as unknown as Interaction;
  await assert.rejects(l.append([record('good'), bad]), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'E_LEDGER_APPEND');
    assert.match(e.message, /record 1 .*interaction\.source: expected log\|gateway\|chat\|otel, got "carrier-pigeon"/);
    return true;
  });
  assert.equal(l.records().length, 0);
  assert.deepEqual(idsOnDisk(dir), []);
  await l.close();
  await assert.rejects(l.append([record('late')]), { code: 'E_LEDGER_CLOSED' });
});

test('malformed and foreign lines are counted and skipped with file:line diagnostics, and stay on disk', async (t) => {
  const dir = tempDir(t);
  const l = await openLedger({ dir });
  await l.append([record('first')]);
  await l.close();
  const [file] = segmentFiles(dir);
  const good = readFileSync(file, 'utf8').split('\n')[1];
  const lines = [
    '{"id":"x","at":', // line 3: truncated JSON
    '[1,2,3]', // 4: JSON, not an object
    '{"hello":"world"}', // 5: foreign object
    good.replace('"s":"log"', '"s":"fax"'), // 6: fails validation
    good.replace('"id":"first"', '"id":"extra"').replace('}', ',"zz":"kept","a2":[1]}'), // 7: unknown extra fields: fine
    '', // 8: blank: ignored
    good.replace('"id":"first"', '"id":"fine"'), // 9
    '   ', // 10
  ];
  appendFileSync(file, lines.join('\n') + '\n');
  const before = readFileSync(file, 'utf8');
  const again = await reopen(dir);
  assert.deepEqual(ids(again.records()), ['first', 'extra', 'fine']);
  assert.equal((again.get('extra') as unknown as Record<string, unknown>).zz, 'kept');
  assert.equal(again.stats.malformedLines, 4);
  const warnings = again.lines.filter((x) => x.startsWith('warn:'));
  assert.equal(warnings.length, 4);
  for (const [i, n] of [3, 4, 5, 6].entries()) assert.ok(warnings[i].includes(`${file}:${n}:`), `${warnings[i]} names ${file}:${n}`);
  assert.match(warnings[0], /invalid JSON/);
  assert.match(warnings[3], /interaction\.source/);
  assert.equal(readFileSync(file, 'utf8'), before, 'nothing is removed from disk');
  await again.close();
});

test('a torn last line is skipped and left alone by open (no write needed); the next append terminates it and lands intact', async (t) => {
  const dir = tempDir(t);
  const l = await openLedger({ dir });
  await l.append([record('a'), record('b')]);
  await l.close();
  const [file] = segmentFiles(dir);
  const whole = readFileSync(file, 'utf8');
  // a writer killed in the middle of its write() left half a line
  const fragment = whole.split('\n')[1].slice(0, 40);
  appendFileSync(file, fragment);
  const again = await reopen(dir);
  assert.deepEqual(ids(again.records()), ['a', 'b']);
  assert.equal(again.stats.tornLinesRepaired, 0);
  assert.equal(again.stats.malformedLines, 0, 'the fragment may be a write in flight: not read yet');
  assert.equal(readFileSync(file, 'utf8'), whole + fragment, 'opening writes nothing');
  await again.append([record('c')]);
  assert.equal(again.stats.tornLinesRepaired, 1);
  assert.ok(
    again.lines.some((x) => x.includes(`${file}:4:`) && /torn/.test(x)),
    again.lines.join('\n'),
  );
  assert.ok(readFileSync(file, 'utf8').startsWith(whole + fragment + '\n'), 'repair never truncates');
  await again.close();
  const third = await reopen(dir);
  assert.deepEqual(ids(third.records()), ['a', 'b', 'c']);
  assert.equal(third.stats.malformedLines, 1, 'the terminated fragment is an ordinary malformed line');
  assert.equal(third.stats.tornLinesRepaired, 0);
  await third.close();
});

test('a record glued to a torn fragment (a crash racing the next writer) is recovered', async (t) => {
  const dir = tempDir(t);
  const l = await openLedger({ dir });
  await l.append([record('a')]);
  await l.close();
  const [file] = segmentFiles(dir);
  const line = readFileSync(file, 'utf8').split('\n')[1];
  appendFileSync(file, line.slice(0, 30) + line.replace('"id":"a"', '"id":"glued"') + '\n');
  const again = await reopen(dir);
  assert.deepEqual(ids(again.records()), ['a', 'glued']);
  assert.equal(again.stats.malformedLines, 0);
  await again.close();
});

test('a torn tail seen by a writer is terminated before its batch, so its first record is not glued on', async (t) => {
  const dir = tempDir(t);
  const l = await openLedger({ dir });
  await l.append([record('a')]);
  const [file] = segmentFiles(dir);
  appendFileSync(file, '{"id":"torn","at":"2026');
  await l.append([record('b')]);
  assert.equal(l.stats.tornLinesRepaired, 1);
  await l.close();
  const again = await reopen(dir);
  assert.deepEqual(ids(again.records()), ['a', 'b']);
  assert.equal(again.stats.malformedLines, 1);
  assert.equal(again.stats.tornLinesRepaired, 0);
  await again.close();
});

test('a segment from a newer format is read as far as understood and never written to', async (t) => {
  const dir = tempDir(t);
  const l = await openLedger({ dir });
  await l.append([record('a')]);
  await l.close();
  const [file] = segmentFiles(dir);
  writeFileSync(file, readFileSync(file, 'utf8').replace('"version":1', '"version":2'));
  const again = await reopen(dir);
  assert.deepEqual(ids(again.records()), ['a']);
  assert.ok(again.lines.some((x) => /format version 2 by a newer Unmetered/.test(x)));
  await assert.rejects(again.append([record('b')]), { code: 'E_LEDGER_VERSION' });
  await again.close();
});

test('opening creates the data directory; a file in its place is a clear error', async (t) => {
  const dir = path.join(tempDir(t), 'nested', 'data');
  const l = await openLedger({ dir });
  assert.ok(existsSync(path.join(dir, 'ledger')));
  await l.close();
  const blocker = path.join(tempDir(t), 'file');
  writeFileSync(blocker, '');
  await assert.rejects(openLedger({ dir: blocker }), { code: 'E_LEDGER_DIR' });
});

test('refresh() returns what another ledger appended since, and the records it superseded', async (t) => {
  const dir = tempDir(t);
  const mine = await openLedger({ dir });
  const theirs = await openLedger({ dir });
  await mine.append([record('a', { output: 1 })]);
  assert.deepEqual(await mine.refresh(), [], 'own appends are reported by append(), not refresh()');
  assert.deepEqual(ids(await theirs.refresh()), ['a']);
  await theirs.append([record('a', { output: 9 }), record('b', { at: '2027-02-01T00:00:00.000Z' })]);
  const seen = await mine.refresh();
  assert.deepEqual(
    seen.map((r) => `${r.id}:${r.tokens.output}`),
    ['a:9', 'b:100'],
  );
  assert.deepEqual(await mine.refresh(), []);
  assert.equal(mine.get('a')!.tokens.output, 9);
  await mine.close();
  await theirs.close();
});

test('a segment replaced behind the ledger is read again from the start, without double counting', async (t) => {
  const dir = tempDir(t);
  const l = await openLedger({ dir, logger: memoryLogger() });
  await l.append([record('a'), record('b')]);
  const [file] = segmentFiles(dir);
  const copy = file + '.copy';
  writeFileSync(copy, readFileSync(file, 'utf8') + readFileSync(file, 'utf8').split('\n')[1].replace('"id":"a"', '"id":"c"') + '\n');
  renameSync(copy, file);
  assert.deepEqual(ids(await l.refresh()), ['c']);
  assert.deepEqual(ids(l.records()), ['a', 'b', 'c']);
  await l.close();
});

test('snapshots: a large segment reopens from its snapshot with the same records, and lines appended after it are merged', async (t) => {
  const dir = tempDir(t);
  const many = Array.from({ length: 2500 }, (_, i) =>
    record(`r${i}`, {
      output: i,
      project: i % 7 === 0 ? null : `p${i % 5}`,
      costNanos: i % 11 === 0 ? null : i * 5_000_000_000,
      avoidedNanos: i % 13 === 0 ? 17 : null,
      priceInferred: i % 3 === 0 ? i % 2 === 0 : undefined,
      fast: i % 4 === 0 ? true : undefined,
      estimated: i % 2 === 0,
      tokens: { input: i, output: i, cacheRead: 2 ** 33 + i, cacheWrite5m: 0, cacheWrite1h: i % 300, reasoning: 0 },
      at: `2026-11-${String(1 + (i % 28)).padStart(2, '0')}T00:00:00Z`,
    }),
  ).map((r) => {
    for (const k of ['priceInferred', 'fast'] as const) if (r[k] === undefined) delete r[k];
    return r;
  });
  (many[5] as unknown as Record<string, unknown>).extra = { kept: true };
  many[6] = { ...many[6], id: 'ünicode ✓ "quoted"' };
  const l = await openLedger({ dir });
  await l.append(many);
  await l.close();
  const parsed = await reopen(dir);
  assert.equal(parsed.stats.snapshotsUsed, 0);
  assert.deepEqual(parsed.records(), many);
  await parsed.close();
  assert.ok(existsSync(path.join(dir, 'cache', 'ledger', '2026-11.bin')), 'the first open wrote a snapshot');

  const fromSnapshot = await reopen(dir);
  assert.equal(fromSnapshot.stats.snapshotsUsed, 1);
  assert.deepEqual(fromSnapshot.records(), many);
  assert.ok(fromSnapshot.has('ünicode ✓ "quoted"'));
  // lines after the snapshot: a new record and a more complete copy of one inside it
  const r10 = { ...many[10], tokens: { ...many[10].tokens, output: 5000 } };
  assert.equal((await fromSnapshot.append([r10, record('new')])).length, 2);
  await fromSnapshot.close();
  const merged = await reopen(dir);
  assert.equal(merged.stats.snapshotsUsed, 1);
  assert.equal(merged.records().length, 2501);
  assert.equal(merged.get('r10')!.tokens.output, 5000);
  assert.equal(merged.records()[10].id, 'r10', 'still in its first position');
  assert.equal(merged.stats.duplicateLines, 1);
  await merged.close();
});

test('snapshots are ignored when the segment changed underneath or the snapshot is damaged', async (t) => {
  const dir = tempDir(t);
  const l = await openLedger({ dir });
  await l.append(Array.from({ length: 2100 }, (_, i) => record(`r${i}`)));
  await l.close();
  await (await reopen(dir)).close(); // writes the snapshot
  const [file] = segmentFiles(dir);
  const snap = path.join(dir, 'cache', 'ledger', '2026-11.bin');

  // edited in place, same size: a record's id changes
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.replace('"id":"r1"', '"id":"q1"'));
  assert.equal(statSync(file).size, Buffer.byteLength(text));
  const edited = await reopen(dir);
  assert.equal(edited.stats.snapshotsUsed, 0);
  assert.ok(edited.has('q1') && !edited.has('r1'));
  await edited.close(); // rewrites the snapshot

  writeFileSync(snap, Buffer.from('ULC1 certainly not a snapshot'));
  const damaged = await reopen(dir);
  assert.equal(damaged.stats.snapshotsUsed, 0);
  assert.equal(damaged.records().length, 2100);
  assert.deepEqual(damaged.lines, []);
  await damaged.close();
});

test('optional flags must be booleans, so that whatever is written reads back', async (t) => {
  const dir = tempDir(t);
  const l = await openLedger({ dir });
  await assert.rejects(l.append([{ ...record('x'), fast: 'yes' } as unknown as Interaction]), /interaction\.fast: expected a boolean/);
  await assert.rejects(l.append([{ ...record('y'), big: 10n } as unknown as Interaction]), { code: 'E_LEDGER_APPEND' });
  assert.deepEqual(idsOnDisk(dir), []);
  await l.close();
});

test('a data directory deleted while open is recreated by the next append', async (t) => {
  const dir = path.join(tempDir(t), 'data');
  const l = await openLedger({ dir });
  await l.append([record('a')]);
  rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(await l.refresh(), []);
  assert.deepEqual(ids(await l.append([record('b')])), ['b']);
  await l.close();
  assert.deepEqual(ids((await reopen(dir)).records()), ['b']);
});

test("temporary files of dead writers are removed at open, in the cache and the data directory; a live writer's are left alone", async (t) => {
  const dir = tempDir(t);
  await (await openLedger({ dir })).close();
  const cache = path.join(dir, 'cache', 'ledger');
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const dead = path.join(cache, `2026-11.bin.${child.stdout}.00ff.tmp`);
  const live = path.join(cache, `2026-11.${process.pid}.00ff.new`);
  // atomicFile.ts's temporary files beside the offsets and the quick check (a writer killed during the flush).
  const deadOffsets = path.join(dir, `sources-state.json.${child.stdout}.1a2b3c4d.tmp`);
  const liveQuick = path.join(dir, `sources-quick.json.${process.pid}.1a2b3c4d.tmp`);
  for (const f of [dead, live, deadOffsets, liveQuick]) writeFileSync(f, 'x');
  writeFileSync(path.join(dir, 'sources-state.json'), '{}');
  await (await openLedger({ dir })).close();
  assert.deepEqual(
    [dead, live, deadOffsets, liveQuick, path.join(dir, 'sources-state.json')].map((f) => existsSync(f)),
    [false, true, false, true, true],
  );
});

test('a watcher stops quietly when its ledger is closed', async (t) => {
  const dir = tempDir(t);
  const log = memoryLogger();
  const l = await openLedger({ dir, logger: log });
  let calls = 0;
  watchLedger(l, () => calls++, { intervalMs: 5 });
  await l.append([record('a')]);
  await l.close();
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(log.lines, []);
  assert.ok(calls <= 1);
});

test('a file full of garbage is counted line by line, with the first diagnostics and a summary', async (t) => {
  const dir = tempDir(t);
  await (await openLedger({ dir })).close();
  const file = path.join(dir, 'ledger', '2026-11.jsonl');
  writeFileSync(file, 'not json\n'.repeat(5000));
  const l = await reopen(dir);
  assert.equal(l.stats.malformedLines, 5000);
  assert.equal(l.records().length, 0);
  assert.equal(l.lines.length, 11);
  assert.ok(l.lines[0].includes(`${file}:1:`));
  assert.match(l.lines[10], /and 4990 more malformed lines in .*2026-11\.jsonl/);
  await l.close();
  // the snapshot written at that open keeps the count and the first diagnostics
  const again = await reopen(dir);
  assert.equal(again.stats.snapshotsUsed, 1);
  assert.equal(again.stats.malformedLines, 5000);
  assert.deepEqual(again.lines, l.lines);
  await again.close();
});
