/**
 * The re-run's quick check (src/core/import/quick.ts): a scan that finds every log file as the saved
 * offsets left it ends without loading them, and any change to a file (appended, touched, replaced,
 * added, deleted) still reaches the ledger on the next scan, exactly once. Each importer here is a new
 * one over the same data directory: a new `unmetered` process.
 */
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { QUICK_FILE } from '../../src/core/import/quick';
import { STATE_FILE } from '../../src/core/import';
import { claudeLine, world, type World } from './helpers';

const line = claudeLine;

/** Whether the last scan looked at each file's offsets: it reports progress after each file it looks at. */
let looked = 0;

async function setUp(): Promise<{ w: World; a: string; b: string; scan: () => Promise<number> }> {
  const w = await world();
  w.env = { CLAUDE_CONFIG_DIR: path.join(w.dir, 'claude') };
  const p = path.join(w.dir, 'claude/projects/p');
  const q = path.join(w.dir, 'claude/projects/q');
  mkdirSync(p, { recursive: true });
  mkdirSync(q, { recursive: true });
  const a = path.join(p, 'a.jsonl');
  const b = path.join(q, 'b.jsonl');
  writeFileSync(a, line('m1') + '\n{"type":"assistant","message":{"usage":\n'); // and a malformed line
  writeFileSync(b, line('m2') + '\n');
  // A new importer per scan: a new process, which holds no offsets until it loads them. No per-source
  // status (it counts malformed lines from the offsets), as a report answered from the rollup asks.
  const scan = async () => {
    looked = 0;
    return (await w.importer({ sourcesInSummary: false }).scan({ onProgress: () => looked++ })).written;
  };
  return { w, a, b, scan };
}

describe('re-run quick check', { timeout: 60_000 }, () => {
  it('nothing new: the scan ends without loading the offsets; an appended line is then read once', async () => {
    const { w, a, scan } = await setUp();
    try {
      assert.equal(await scan(), 2);
      assert.ok(existsSync(path.join(w.dataDir, QUICK_FILE)), 'the first scan saved the digest');
      assert.equal(await scan(), 0);
      assert.equal(looked, 0, 'nothing new: no file was looked at past its stat');
      appendFileSync(a, line('m3') + '\n');
      assert.equal(await scan(), 1, 'the appended line, once');
      assert.equal(looked, 2, 'a file changed: each was looked at');
      assert.ok(w.ledger.has('anthropic:m3'));
      assert.equal(w.ledger.records().length, 3);
    } finally {
      await w.cleanup();
    }
  });

  it('each change to the files is seen: touched, replaced at the same size, added, deleted, renamed', async () => {
    const { w, a, b, scan } = await setUp();
    try {
      await scan();
      const t = statSync(a).mtime;
      utimesSync(a, t, new Date(t.getTime() + 5000)); // touched, nothing new in it
      assert.equal(await scan(), 0);
      assert.equal(looked, 2, 'a touched file is looked at');
      assert.equal(await scan(), 0);
      assert.equal(looked, 0);

      // Replaced by a file of the same size holding another interaction (m2 → m4: same length).
      const tmp = b + '.new';
      writeFileSync(tmp, line('m4') + '\n');
      assert.equal(statSync(tmp).size, statSync(b).size);
      renameSync(tmp, b);
      assert.equal(await scan(), 1);
      assert.ok(w.ledger.has('anthropic:m4'));

      writeFileSync(path.join(path.dirname(b), 'c.jsonl'), line('m5') + '\n');
      assert.equal(await scan(), 1, 'a new file in a folder seen before');

      rmSync(a);
      assert.equal(await scan(), 0);
      assert.equal(looked, 2, 'a deleted file: the others were looked at');
      assert.equal(await scan(), 0);
      assert.equal(looked, 0, 'after the deletion was scanned, nothing new again');

      renameSync(b, path.join(path.dirname(b), 'b2.jsonl'));
      assert.equal(await scan(), 0, 'a renamed file: read again, its ids already held');
      assert.equal(looked, 2);
      assert.deepEqual(
        w.ledger
          .records()
          .map((r) => r.id)
          .sort(),
        ['anthropic:m1', 'anthropic:m2', 'anthropic:m4', 'anthropic:m5'],
      );
    } finally {
      await w.cleanup();
    }
  });

  it('offsets saved again, damaged or deleted since the digest: every log is read again, nothing counted twice', async () => {
    const { w, scan } = await setUp();
    try {
      await scan();
      writeFileSync(path.join(w.dataDir, STATE_FILE), '{"version":1,"files":');
      const s = await w.importer({ sourcesInSummary: false }).scan();
      assert.deepEqual([s.recordsParsed, s.written], [2, 0]);
      rmSync(path.join(w.dataDir, STATE_FILE));
      const t = await w.importer({ sourcesInSummary: false }).scan();
      assert.deepEqual([t.recordsParsed, t.written], [2, 0], 'deleting the offsets file has every log read again');
      const u = await w.importer({ sourcesInSummary: false }).scan();
      assert.deepEqual([u.recordsParsed, u.written], [0, 0]);
    } finally {
      await w.cleanup();
    }
  });

  it('a damaged or foreign digest file is not trusted: the scan reads as before, and writes a good one', async () => {
    const { w, a, scan } = await setUp();
    try {
      await scan();
      const saved = JSON.parse(readFileSync(path.join(w.dataDir, QUICK_FILE), 'utf8')) as Record<string, unknown>;
      for (const junk of [
        '',
        'not json',
        '{"version":1,"digest":2}',
        '{"version":99,"digest":"x"}',
        'x'.repeat(10_000),
        JSON.stringify({ ...saved, version: 1 }), // 0.2's first digest files held no malformed counts
        JSON.stringify({ ...saved, malformed: { 'claude-code': -1 } }),
        JSON.stringify({ ...saved, malformed: [] }),
      ]) {
        writeFileSync(path.join(w.dataDir, QUICK_FILE), junk);
        appendFileSync(a, line(`j${junk.length}`) + '\n');
        assert.equal(await scan(), 1, `digest file ${JSON.stringify(junk.slice(0, 30))}`);
      }
      assert.equal(await scan(), 0);
      assert.equal(looked, 0, 'the digest was written again');
    } finally {
      await w.cleanup();
    }
  });

  it('per-source status after a scan that found nothing new still counts the malformed line, without the offsets', async () => {
    const { w, scan } = await setUp();
    try {
      await scan();
      const s = await w.importer().scan();
      assert.equal(s.written, 0);
      const claude = s.sources.find((x) => x.id === 'claude-code')!;
      assert.equal(claude.files, 2);
      assert.equal(claude.malformedLines, 1, 'the malformed line of a.jsonl, counted at the first scan');
      // The count comes from the digest file, saved with the offsets it sums: a count put there is the one shown.
      const file = path.join(w.dataDir, QUICK_FILE);
      const quick = JSON.parse(readFileSync(file, 'utf8')) as { malformed: Record<string, number> };
      assert.deepEqual(quick.malformed, { 'claude-code': 1 });
      writeFileSync(file, JSON.stringify({ ...quick, malformed: { 'claude-code': 7 } }));
      const t = await w.importer().scan();
      assert.equal(t.sources.find((x) => x.id === 'claude-code')!.malformedLines, 7);
    } finally {
      await w.cleanup();
    }
  });

  it("a scan of named files alone reads what they gained, keeps the other files' offsets, and the next scan reads each line once", async () => {
    const { w, a, b, scan } = await setUp();
    try {
      assert.equal(await scan(), 2);
      appendFileSync(a, line('m3') + '\n');
      appendFileSync(b, line('m4') + '\n');
      const only = (files: string[]) => w.importer({ sourcesInSummary: false }).scan({ only: files });
      const r = await only([a]);
      assert.deepEqual([r.written, r.filesSeen], [1, 1]);
      assert.ok(w.ledger.has('anthropic:m3') && !w.ledger.has('anthropic:m4'), "b.jsonl's new line is not read");
      // The quick digest no longer names the offsets: the next scan looks at each file, and reads b's line alone.
      assert.equal(await scan(), 1);
      assert.equal(looked, 2);
      assert.ok(w.ledger.has('anthropic:m4'));
      assert.equal(w.ledger.records().length, 4);
      assert.equal(await scan(), 0);
      assert.equal(looked, 0, 'the digest was saved again');
      // Files a scan would not read: not a log (.json), outside the folders, a relative path, a folder.
      writeFileSync(path.join(path.dirname(a), 'x.json'), line('m5') + '\n');
      writeFileSync(path.join(w.dir, 'y.jsonl'), line('m6') + '\n');
      const none = await only([path.join(path.dirname(a), 'x.json'), path.join(w.dir, 'y.jsonl'), 'a.jsonl', path.dirname(a)]);
      assert.deepEqual([none.written, none.filesSeen], [0, 0]);
      assert.equal(await scan(), 0);
    } finally {
      await w.cleanup();
    }
  });
});
