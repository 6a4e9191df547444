import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { openLedger } from '../../src/core/ledger/index';
import { memoryLogger } from '../../src/core/ports';
import { record } from './fixtures/records';
import { idsOnDisk, segmentFiles, startWriter, tempDir } from './helpers';

const ROUNDS = 20;

test(
  'a writer SIGKILLed at random moments loses no record whose append had resolved; torn tails are repaired',
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
      if (round % 4 === 3) {
        // A kill rarely lands inside write() itself (encoding a batch takes ~30x longer than copying it
        // to the page cache), so every fourth round also leaves what such a kill leaves: the first
        // bytes of a batch without its newline (a SIGKILL stops a large write() between pages).
        const last = segmentFiles(dir).at(-1)!;
        appendFileSync(last, `{"id":"r${round}:torn","at":"2026-11-01T00:00:01.000Z","a":"claudeCode","s":"lo`);
      }

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
