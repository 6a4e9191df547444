import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineSplitter } from '../../src/core/import/lines';
import { mulberry32 } from '../helpers/fuzz';

describe('LineSplitter lead needles', { timeout: 30_000 }, () => {
  const lines = [
    '{"message":{"role":"assistant","usage":{}}}', // 1: both
    '{"message":{"role":"assistant","content":"cut', // 2: cut before its usage: the lead needle
    `{"type":"user","text":"${'x'.repeat(100)}","quoted":{"role":"assistant"}}`, // 3: the lead needle past the first 64 bytes
    '{"type":"user","text":"hello"}', // 4: neither
    '{"usage":{}}', // 5: the needle
  ];
  const text = lines.join('\n') + '\n';
  const run = (chunk: number) => {
    const got: number[] = [];
    const s = new LineSplitter({
      needles: ['"usage"'],
      leadNeedles: ['"role":"assistant"'],
      leadBytes: 64,
      onLine: (l) => got.push(l.lineNo),
    });
    const buf = Buffer.from(text);
    for (let i = 0; i < buf.length; i += chunk) s.push(buf.subarray(i, i + chunk));
    return got;
  };

  it('hands on a line with a lead needle in its first bytes, not one that has it only further on', () => {
    assert.deepEqual(run(1 << 20), [1, 2, 5]);
  });

  it('decides the same for lines that span chunks', () => {
    assert.deepEqual(run(7), [1, 2, 5]);
  });

  // The lead needle is looked for in each line's head only. Long lines (longer than the head, many
  // times over) with and without a lead needle past their head, between short ones, in any chunking:
  // the lines handed on are exactly those a plain per-line check picks.
  it('picks the lines a plain per-line check picks, among long and short lines in any chunking', () => {
    const rng = mulberry32(1024);
    const parts = ['x'.repeat(50), '"role":"assistant"', '"usage"', '"role":"assist', 'ant"', 'y'.repeat(900), '{', '}'];
    const lines: string[] = [];
    for (let i = 0; i < 400; i++) {
      let l = '';
      const n = Math.floor(rng() * (rng() < 0.2 ? 60 : 6));
      for (let k = 0; k < n; k++) l += parts[Math.floor(rng() * parts.length)];
      lines.push(l);
    }
    const leadBytes = 256;
    const expected = lines.flatMap((l, i) =>
      l.length > 0 && (l.includes('"usage"') || Buffer.from(l).subarray(0, leadBytes).includes('"role":"assistant"')) ? [i + 1] : [],
    );
    assert.ok(expected.length > 50 && expected.length < 350, `${expected.length} lines picked`);
    const buf = Buffer.from(lines.join('\n') + '\n');
    for (const chunk of [1 << 20, 4096, 300, 17]) {
      const got: number[] = [];
      const s = new LineSplitter({
        needles: ['"usage"'],
        leadNeedles: ['"role":"assistant"'],
        leadBytes,
        onLine: (l) => got.push(l.lineNo),
      });
      for (let i = 0; i < buf.length; i += chunk) s.push(buf.subarray(i, i + chunk));
      assert.deepEqual(got, expected, `chunks of ${chunk}`);
    }
  });
});
