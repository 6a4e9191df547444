/**
 * The offsets' journal (src/core/import/state.ts): a scan that read a few files appends their offsets to
 * sources-state.log instead of writing every file's again, and what the base file and its journal say
 * together is what the next process reads: no line read twice into the ledger, none skipped, whatever
 * order of appends, whole saves, crashes and other processes' saves came before. Each importer here is a
 * new process over the same data directory.
 */
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { JOURNAL_FILE, loadSourceState, saveSourceState, STATE_FILE } from '../../src/core/import';
import { claudeLine, world, type World } from './helpers';

async function setUp(files: number): Promise<{ w: World; logs: string[]; scan: () => Promise<number> }> {
  const w = await world();
  w.env = { CLAUDE_CONFIG_DIR: path.join(w.dir, 'claude') };
  const dir = path.join(w.dir, 'claude/projects/p');
  mkdirSync(dir, { recursive: true });
  const logs = Array.from({ length: files }, (_, i) => path.join(dir, `s${i}.jsonl`));
  logs.forEach((f, i) => writeFileSync(f, claudeLine(`m${i}_0`) + '\n'));
  const scan = async () => (await w.importer({ sourcesInSummary: false }).scan()).written;
  return { w, logs, scan };
}

const journalLines = (w: World) =>
  existsSync(path.join(w.dataDir, JOURNAL_FILE))
    ? readFileSync(path.join(w.dataDir, JOURNAL_FILE), 'utf8')
        .split('\n')
        .filter((l) => l !== '').length
    : 0;

describe('offsets journal', { timeout: 60_000 }, () => {
  it('a scan that read one file appends its offsets, and leaves every other file’s where they were', async () => {
    const { w, logs, scan } = await setUp(40);
    try {
      assert.equal(await scan(), 40);
      const base = path.join(w.dataDir, STATE_FILE);
      const before = statSync(base);
      assert.equal(journalLines(w), 0, 'a first scan writes the base file whole');
      for (let round = 1; round <= 3; round++) {
        appendFileSync(logs[round], claudeLine(`m${round}_${round}`) + '\n');
        assert.equal(await scan(), 1, `round ${round}: the appended line, once`);
        assert.equal(journalLines(w), round, `round ${round}: one more journal line`);
      }
      const after = statSync(base);
      assert.deepEqual([after.ino, after.size, after.mtimeMs], [before.ino, before.size, before.mtimeMs], 'the base file is not rewritten');
      // What a new process reads: the journal's offsets over the base's.
      const offsets = await loadSourceState(w.dataDir, w.logger);
      for (let i = 0; i < 40; i++) assert.equal(offsets.get(logs[i])?.offset, statSync(logs[i]).size, `file ${i} read to its end`);
      assert.equal(await scan(), 0, 'nothing new');
      assert.equal(w.ledger.records().length, 43);
    } finally {
      await w.cleanup();
    }
  });

  it('a long journal, or a save of many files, writes the base whole with a new journal; old lines no longer apply', async () => {
    const { w, logs, scan } = await setUp(80);
    try {
      assert.equal(await scan(), 80);
      const idOf = () => (JSON.parse(readFileSync(path.join(w.dataDir, STATE_FILE), 'utf8')) as { journal: string }).journal;
      const first = idOf();
      // 256 lines at most: a scan per file until the journal is full, then the next save compacts.
      let n = 0;
      while (journalLines(w) < 256) {
        appendFileSync(logs[n % 80], claudeLine(`x${n}`) + '\n');
        assert.equal(await scan(), 1);
        n++;
      }
      assert.equal(idOf(), first);
      appendFileSync(logs[0], claudeLine('compact') + '\n');
      assert.equal(await scan(), 1);
      assert.notEqual(idOf(), first, 'a new base, with a new journal id');
      assert.equal(journalLines(w), 0, 'the old journal is gone');
      // Many files at once (over 64): the base whole again.
      const second = idOf();
      for (let i = 0; i < 70; i++) appendFileSync(logs[i], claudeLine(`many${i}`) + '\n');
      assert.equal(await scan(), 70);
      assert.notEqual(idOf(), second);
      assert.equal(journalLines(w), 0);
      assert.equal(await scan(), 0);
      assert.equal(w.ledger.records().length, 80 + n + 1 + 70);
    } finally {
      await w.cleanup();
    }
  });

  it('a torn line, lines of another base and a damaged journal cost a re-read, never a record counted twice or lost', async () => {
    const { w, logs, scan } = await setUp(5);
    try {
      assert.equal(await scan(), 5);
      appendFileSync(logs[0], claudeLine('a1') + '\n');
      assert.equal(await scan(), 1);
      const journal = path.join(w.dataDir, JOURNAL_FILE);
      // A crash mid-append: half a line at the end; the next append starts on a line of its own.
      appendFileSync(journal, '{"b":"torn","f":"/x","s":{"sou');
      appendFileSync(logs[1], claudeLine('a2') + '\n');
      assert.equal(await scan(), 1);
      const offsets = await loadSourceState(w.dataDir, w.logger);
      assert.equal(offsets.get(logs[1])?.offset, statSync(logs[1]).size, 'the append after a torn line is read back');
      // Another process wrote the base whole (a new id): this journal's lines are not applied, so the
      // files they covered are read again from the base's offsets, and the ledger keeps one copy of each.
      await saveSourceState(w.dataDir, new Map([...offsets].filter(([f]) => f !== logs[0] && f !== logs[1])));
      assert.equal(journalLines(w), 0, 'a whole save drops the old journal');
      writeFileSync(journal, `{"b":"not-this-base","f":${JSON.stringify(logs[2])},"s":null}\nnot json\n`);
      assert.equal(await scan(), 0, 'lines read again are ones the ledger holds');
      assert.deepEqual(
        w.ledger
          .records()
          .map((r) => r.id)
          .sort(),
        ['a1', 'a2', 'm0_0', 'm1_0', 'm2_0', 'm3_0', 'm4_0'].map((id) => `anthropic:${id}`).sort(),
      );
      const back = await loadSourceState(w.dataDir, w.logger);
      for (const f of logs) assert.equal(back.get(f)?.offset, statSync(f).size);
    } finally {
      await w.cleanup();
    }
  });
});
