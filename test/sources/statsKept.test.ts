import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { StatsKept } from '../../src/core/import/statsKept';

describe('StatsKept: the stats a scan keeps for its reads', { timeout: 30_000 }, () => {
  it('gives back what fs.statSync said of each file (past its first growth), forgets deleted ones, and starts over on clear', (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-stats-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const kept = new StatsKept();
    const files: string[] = [];
    for (let i = 0; i < 600; i++) {
      const f = path.join(dir, `s${i}.jsonl`);
      writeFileSync(f, 'x'.repeat(i));
      files.push(f);
      kept.set(f, statSync(f));
    }
    const sub = path.join(dir, 'folder');
    mkdirSync(sub);
    kept.set(sub, statSync(sub));

    for (const f of files) {
      const want = statSync(f);
      const got = kept.get(f)!;
      assert.deepEqual([got.ino, got.dev, got.size, got.mtimeMs, got.isFile()], [want.ino, want.dev, want.size, want.mtimeMs, true], f);
    }
    assert.equal(kept.get(files[599])!.size, 599);
    assert.equal(kept.get(sub)!.isFile(), false, 'a folder is not a file');
    assert.equal(kept.get(path.join(dir, 'never-seen')), undefined);

    // A second stat of the same file replaces the first.
    writeFileSync(files[3], 'grown');
    kept.set(files[3], statSync(files[3]));
    assert.equal(kept.get(files[3])!.size, 5);

    kept.delete(files[10]);
    assert.equal(kept.get(files[10]), undefined);
    assert.equal(kept.get(files[11])!.size, 11, 'its neighbour stays');

    kept.clear();
    assert.equal(kept.get(files[0]), undefined);
    kept.set(files[42], statSync(files[42]));
    assert.equal(kept.get(files[42])!.size, 42);
    assert.equal(kept.get(files[43]), undefined, 'nothing from before the clear comes back');
  });
});
