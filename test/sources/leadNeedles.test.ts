import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineSplitter } from '../../src/core/import/lines';

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
});
