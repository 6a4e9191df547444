import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { progressLine } from '../../src/cli/progress';

/** A terminal (or not) that keeps what was written. */
function stream(isTTY: boolean, columns = 200) {
  const chunks: string[] = [];
  const s = new Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(c.toString());
      cb();
    },
  }) as Writable & { isTTY?: boolean; columns?: number };
  s.isTTY = isTTY;
  s.columns = columns;
  return { s, chunks };
}

const at = (filesDone: number) => ({ filesDone, files: 2790, bytesRead: filesDone * 1024 * 1024 });

describe('CLI progress line of the import', { timeout: 10_000 }, () => {
  test('on a terminal: nothing in the first second, then one line overwritten in place at most every 100 ms, cleared at the end', () => {
    const { s, chunks } = stream(true);
    let t = 0;
    const p = progressLine(s, {}, () => t);
    t = 999;
    p.update(at(100));
    assert.deepEqual(chunks, [], 'a run shorter than a second stays silent');
    t = 1000;
    p.update(at(1395));
    // 1395 of 2790 files = 50 %; 1395 MiB read
    assert.deepEqual(chunks, ['\r\x1b[Kunmetered: importing agent logs… 50% (1,395 of 2,790 files, 1395 MB read)']);
    t = 1099;
    p.update(at(1400));
    assert.equal(chunks.length, 1, 'not redrawn within 100 ms');
    t = 1100;
    p.update(at(2790));
    assert.equal(chunks[1], '\r\x1b[Kunmetered: importing agent logs… 100% (2,790 of 2,790 files, 2790 MB read)');
    p.done();
    assert.deepEqual(chunks.slice(2), ['\r\x1b[K'], 'the line is cleared, so what follows starts on a clean line');
  });

  test('never wider than the terminal (a wrapped line cannot be overwritten)', () => {
    const { s, chunks } = stream(true, 40);
    let t = 0;
    const p = progressLine(s, {}, () => t);
    t = 5000;
    p.update(at(1));
    assert.equal(chunks[0], '\r\x1b[K' + 'unmetered: importing agent logs… 0% (1 of 2,790 files, 1 MB read)'.slice(0, 39));
  });

  test('nothing when stderr is not a terminal, under CI, or when the import ends within a second', () => {
    for (const [tty, env] of [
      [false, {}],
      [true, { CI: 'true' }],
      [true, { TERM: 'dumb' }],
    ] as const) {
      const { s, chunks } = stream(tty);
      let t = 0;
      const p = progressLine(s, env, () => t);
      t = 10_000;
      p.update(at(5));
      p.done();
      assert.deepEqual(chunks, [], JSON.stringify({ tty, env }));
    }
    const { s, chunks } = stream(true);
    const p = progressLine(s, {}, () => 0);
    p.update(at(5));
    p.done();
    assert.deepEqual(chunks, [], 'a short import neither draws nor clears');
  });
});
