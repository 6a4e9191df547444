import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { openLedger } from '../../src/core/ledger/index';
import { memoryLogger } from '../../src/core/ports';
import { record } from './fixtures/records';
import { idsOnDisk, segmentFiles, startWriter, tempDir } from './helpers';

const ROUNDS = 20;

// A kill at a random moment seldom lands inside write() itself (encoding a batch takes ~30x longer than copying
// it to the page cache), so this test proves what random kills leave: nothing acknowledged is lost, opening never
// writes, and any torn tail one did leave is terminated by the next append. The next test makes the kills tear.
test(
  'a writer SIGKILLed at random moments loses no record whose append had resolved; opening writes nothing; a torn tail is terminated by the next append',
  { timeout: 120_000 },
  async (t) => {
    const dir = tempDir(t);
    const reported: string[] = [];
    let tornSeen = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const w = startWriter(['loop', dir, `r${round}`]);
      await w.waitForLines(1); // it has opened the ledger and written
      await new Promise((r) => setTimeout(r, Math.random() * 60));
      w.child.kill('SIGKILL');
      const { signal } = await w.exited;
      assert.equal(signal, 'SIGKILL', `round ${round}: the writer died on its own: ${w.stderr()}`);
      reported.push(...w.lines.filter((l) => l.length > 0));

      // A segment that does not end with a newline holds a torn write. Opening leaves it as it is (it
      // must work on a full disk); the next batch written into that segment terminates it first.
      const tornFiles = segmentFiles(dir).filter((f) => !readFileSync(f, 'utf8').endsWith('\n'));
      tornSeen += tornFiles.length;
      const sizes = segmentFiles(dir).map((f) => statSync(f).size);
      const check = await openLedger({ dir, logger: memoryLogger() });
      assert.equal(check.stats.tornLinesRepaired, 0, `round ${round}`);
      assert.deepEqual(
        segmentFiles(dir).map((f) => statSync(f).size),
        sizes,
        `round ${round}: opening wrote nothing`,
      );
      // one marker record per torn segment: a month inside that segment (file name YYYY-MM.jsonl)
      const markers = tornFiles.map((f) =>
        record(`r${round}:mark:${path.basename(f)}`, { at: `${path.basename(f).slice(0, 7)}-15T00:00:00.000Z` }),
      );
      await check.append(markers);
      assert.equal(check.stats.tornLinesRepaired, tornFiles.length, `round ${round}`);
      for (const f of segmentFiles(dir)) assert.ok(readFileSync(f, 'utf8').endsWith('\n'), `${f} repaired`);
      await check.close();
    }
    t.diagnostic(`${reported.length} records reported written over ${ROUNDS} kills; ${tornSeen} torn tails found and repaired`);
    assert.ok(reported.length > ROUNDS);

    const ledger = await openLedger({ dir, logger: memoryLogger() });
    const missing = reported.filter((id) => !ledger.has(id));
    assert.deepEqual(missing, [], 'every id printed after append() resolved is in the ledger');
    const onDisk = idsOnDisk(dir);
    assert.equal(new Set(onDisk).size, onDisk.length, 'no record line is duplicated on disk');
    assert.equal(ledger.records().length, onDisk.length);
    assert.equal(ledger.stats.tornLinesRepaired, 0);
    assert.equal(ledger.stats.malformedLines, tornSeen, 'each repaired fragment is one skipped line, nothing else is malformed');

    const later = record('after-the-crashes', { at: '2026-11-01T00:00:02.000Z' });
    assert.deepEqual(await ledger.append([later]), [later]);
    await ledger.close();
    const reopened = await openLedger({ dir });
    assert.ok(reopened.has('after-the-crashes'));
    assert.equal(reopened.records().length, onDisk.length + 1);
    await reopened.close();
  },
);

test(
  'a SIGKILL while a large write() is being copied tears the line being written; the next append terminates it and nothing acknowledged is lost',
  { timeout: 120_000 },
  async (t) => {
    const dir = tempDir(t);
    // The writer kills itself from its main thread while a libuv thread is inside write() (see fixtures/writer.ts):
    // a kill at a random moment almost never lands there, so the previous test cannot show a tear.
    const w = startWriter(['tear', dir, 't']);
    const { signal } = await w.exited;
    assert.equal(signal, 'SIGKILL', `the writer ended without the kill: ${w.stderr()}`);
    const killedAt = w.lines.find((l) => l.startsWith('killed at '));
    t.diagnostic(killedAt ?? 'no kill line');
    const acked = w.lines.filter((l) => l.includes(':ack:'));
    assert.equal(acked.length, 10, 'the writer acknowledged its small batch before the large ones');
    const [segment, ...others] = segmentFiles(dir);
    assert.equal(others.length, 0, 'one month, one segment');
    const text = readFileSync(segment, 'utf8');
    assert.ok(!text.endsWith('\n'), `the kill tore the line being written (${killedAt})`);

    const ledger = await openLedger({ dir, logger: memoryLogger() });
    assert.equal(ledger.stats.tornLinesRepaired, 0, 'opening leaves the torn tail as it is');
    assert.equal(ledger.stats.malformedLines, 0, 'a tail without its newline is not read (yet): a live writer may be finishing it');
    assert.deepEqual(
      acked.filter((id) => !ledger.has(id)),
      [],
      'every acknowledged id survived',
    );
    const after = record('after-the-tear', { at: '2026-11-01T00:00:02.000Z' });
    assert.deepEqual(await ledger.append([after]), [after]);
    assert.equal(ledger.stats.tornLinesRepaired, 1, 'the append terminated the torn line first');
    await ledger.close();
    assert.ok(readFileSync(segment, 'utf8').endsWith('\n'), 'the segment ends with a whole line again');

    const reopened = await openLedger({ dir, logger: memoryLogger() });
    assert.ok(reopened.has('after-the-tear'), 'the record after the tear is read back whole');
    assert.equal(reopened.stats.malformedLines, 1, 'the fragment is one skipped line, and nothing else is malformed');
    const onDisk = idsOnDisk(dir);
    assert.equal(reopened.records().length, onDisk.length, 'every whole line is a record');
    await reopened.close();
  },
);
