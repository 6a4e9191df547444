import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { advance, replaceFile, replaceFileSync } from '../../src/core/atomicFile';

// The offsets, the quick check's digest, the rollup and the settings mirror are replaced through these: a
// reader (another window, the CLI) must see the old file or the new one whole, and a failed write must
// leave the old one as it was and nothing beside it.
describe('replacing a file whole', { timeout: 20_000 }, () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'unmetered-atomic-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  const dir = () => {
    const d = path.join(root, String(n++));
    mkdirSync(d);
    return d;
  };

  it('replaces an existing file with the new bytes, readable by its owner only, and leaves no temporary file', async () => {
    const d = dir();
    const file = path.join(d, 'sources-state.json');
    writeFileSync(file, 'old', { mode: 0o644 });
    await replaceFile(file, '{"version":2}');
    assert.equal(readFileSync(file, 'utf8'), '{"version":2}');
    if (process.platform !== 'win32') assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(d), ['sources-state.json']);
    replaceFileSync(file, Buffer.from('bytes'), { flush: false });
    assert.equal(readFileSync(file, 'utf8'), 'bytes');
    assert.deepEqual(readdirSync(d), ['sources-state.json']);
  });

  it('a file given in parts is written as their bytes in order: empty parts, views into larger buffers, more parts than one writev takes', () => {
    const d = dir();
    const file = path.join(d, 'rollup-UTC.bin');
    writeFileSync(file, 'old');
    const backing = new Float64Array([1.5, -2, 3]);
    const parts: Uint8Array[] = [
      new Uint8Array(0),
      Buffer.from('RLUP', 'latin1'),
      new Uint8Array(0),
      new Uint8Array(backing.buffer, 8, 16), // the last two numbers only, as the rollup writes its arrays' used part
      Buffer.alloc(3),
      // 2,500 parts of one byte each: three writev calls at 1,024 a call
      ...Array.from({ length: 2500 }, (_, i) => Uint8Array.of(i % 251)),
      new Uint8Array(0),
    ];
    replaceFileSync(file, parts, { flush: false });
    const got = readFileSync(file);
    assert.equal(got.length, 4 + 16 + 3 + 2500);
    assert.equal(got.toString('latin1', 0, 4), 'RLUP');
    assert.deepEqual([got.readDoubleLE(4), got.readDoubleLE(12)], [-2, 3]);
    assert.deepEqual([...got.subarray(20, 23)], [0, 0, 0]);
    assert.deepEqual(
      [...got.subarray(23)],
      Array.from({ length: 2500 }, (_, i) => i % 251),
    );
    assert.deepEqual(readdirSync(d), ['rollup-UTC.bin']);
  });

  it('a write of parts that took only some bytes goes on from the byte after the last one written', () => {
    const parts = [new Uint8Array(4), new Uint8Array(0), new Uint8Array(3), new Uint8Array(5)];
    assert.deepEqual(advance(parts, { part: 0, byte: 0 }, 2), { part: 0, byte: 2 });
    assert.deepEqual(advance(parts, { part: 0, byte: 2 }, 2), { part: 2, byte: 0 }, 'the first part done, the empty one passed over');
    assert.deepEqual(advance(parts, { part: 0, byte: 0 }, 0), { part: 0, byte: 0 });
    assert.deepEqual(advance(parts, { part: 0, byte: 0 }, 5), { part: 2, byte: 1 }, 'past the empty part: 4 + 0, then 1 of 3');
    assert.deepEqual(advance(parts, { part: 0, byte: 3 }, 4), { part: 3, byte: 0 });
    assert.deepEqual(advance(parts, { part: 2, byte: 1 }, 3), { part: 3, byte: 1 });
    assert.deepEqual(advance(parts, { part: 3, byte: 1 }, 4), { part: 4, byte: 0 }, 'all written');
  });

  it('while the flush to disk is under way, a reader sees the old file whole', async () => {
    const d = dir();
    const file = path.join(d, 'rollup.bin');
    const old = 'a'.repeat(300_000);
    writeFileSync(file, old);
    const pending = replaceFile(file, 'b'.repeat(300_000));
    assert.equal(readFileSync(file, 'utf8'), old);
    await pending;
    assert.equal(readFileSync(file, 'utf8'), 'b'.repeat(300_000));
  });

  it('many writers at once: the file ends as one of them wrote it, whole, with no temporary file left', async () => {
    const d = dir();
    const file = path.join(d, 'sources-quick.json');
    const bodies = Array.from({ length: 24 }, (_, i) => String(i).repeat(20_000 + i));
    await Promise.all(bodies.map((b) => replaceFile(file, b)));
    assert.ok(bodies.includes(readFileSync(file, 'utf8')), 'the file is one writer’s bytes, not a mix');
    assert.deepEqual(readdirSync(d), ['sources-quick.json']);
  });

  it('a replace that fails says why, leaves what was there, and removes its temporary file', async () => {
    const d = dir();
    // The name is a folder: the rename fails after the bytes were written and flushed.
    const folder = path.join(d, 'settings.json');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'inside'), 'kept');
    await assert.rejects(replaceFile(folder, 'new'), (e: NodeJS.ErrnoException) => typeof e.code === 'string');
    assert.throws(
      () => replaceFileSync(folder, 'new'),
      (e: NodeJS.ErrnoException) => typeof e.code === 'string',
    );
    assert.equal(readFileSync(path.join(folder, 'inside'), 'utf8'), 'kept');
    assert.deepEqual(readdirSync(d), ['settings.json']);
    // A folder that does not exist: nothing is created.
    await assert.rejects(replaceFile(path.join(d, 'missing', 'f.json'), 'x'), { code: 'ENOENT' });
    assert.deepEqual(readdirSync(d), ['settings.json']);
  });
});
