import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { claudeCode, MalformedLine, type ParsedRecord } from '../../src/core/import';
import { mulberry32 } from '../helpers/fuzz';
import { JsonScan } from '../../src/core/agents/jsonScan';

/** What the byte walker reads must be exactly what JSON.parse reads, or the same refusal. */
function both(line: string): { bytes: ParsedRecord[] | string; parse: ParsedRecord[] | string } {
  const run = (f: (p: ReturnType<typeof claudeCode.createParser>) => readonly ParsedRecord[]) => {
    const p = claudeCode.createParser('/x/projects/p/s.jsonl');
    try {
      return [...f(p), ...p.end!()];
    } catch (err) {
      assert.ok(err instanceof MalformedLine, String(err));
      return `malformed: ${err.message}`;
    }
  };
  // Surround the line with other bytes: the walker must stay inside [start, end).
  const buf = Buffer.from(`{"x":"\\\\"}\n${line}\n{"usage":{"y":"a\\\\"}}`);
  const start = buf.indexOf('\n') + 1;
  const end = start + Buffer.byteLength(line);
  return { bytes: run((p) => p.lineBytes!(buf, start, end, 1)), parse: run((p) => p.line(line, 1)) };
}

const usage = { input_tokens: 3, output_tokens: 4, cache_read_input_tokens: 5, cache_creation_input_tokens: 6 };
const msg = (extra: Record<string, unknown> = {}) => ({
  id: 'msg_1',
  model: 'claude-sonnet-4-5-20250929',
  role: 'assistant',
  content: [{ type: 'text', text: 'ok' }],
  usage,
  ...extra,
});

const CASES: [string, string][] = [
  ['a plain line', JSON.stringify({ type: 'assistant', cwd: '/home/dev/shop', timestamp: '2025-11-01T10:00:00.000Z', message: msg() })],
  [
    'a Windows cwd with escaped backslashes',
    JSON.stringify({ type: 'assistant', cwd: 'C:\\Users\\dev\\shop\\', timestamp: '2025-11-01T10:00:00.000Z', message: msg() }),
  ],
  [
    'escaped quotes and trailing backslashes in content',
    JSON.stringify({
      message: msg({
        content: [
          { type: 'text', text: 'he said "hi" \\' },
          { type: 'text', text: '\\\\"' },
        ],
      }),
      timestamp: '2025-11-01T10:00:00.000Z',
    }),
  ],
  [
    'braces and a fake usage inside strings',
    JSON.stringify({
      message: msg({ content: [{ type: 'text', text: '{"message":{"usage":{"input_tokens":999}}} ] } {' }] }),
      timestamp: '2025-11-01T10:00:00.000Z',
    }),
  ],
  [
    'usage before id, message before type',
    JSON.stringify({
      message: { usage, model: 'claude-opus-4-6', id: 'msg_2' },
      isSidechain: true,
      type: 'assistant',
      timestamp: '2025-11-01T10:00:00.000Z',
    }),
  ],
  [
    'a nested message object inside tool input',
    JSON.stringify({
      message: msg({ content: [{ type: 'tool_use', input: { message: { id: 'evil', usage: { input_tokens: 1e6 } } } }] }),
      timestamp: '2025-11-01T10:00:00.000Z',
    }),
  ],
  [
    'duplicate keys (the last wins)',
    '{"timestamp":"2025-11-01T10:00:00.000Z","message":{"id":"a","model":"m","usage":{"output_tokens":1}},' +
      '"message":{"id":"b","model":"claude-sonnet-4-5","usage":{"output_tokens":2}}}',
  ],
  [
    'unicode and whitespace between tokens',
    '{ "cwd" : "/home/dév/🛒" ,\t"timestamp":"2025-11-01T10:00:00.000Z", "message" : { "id" : "msg_é",' +
      ' "model":"claude-sonnet-4-5", "usage" : { "input_tokens" : 1 , "output_tokens" : 2 } } }',
  ],
  [
    'numbers, nulls and booleans elsewhere',
    JSON.stringify({
      n: -1.5e-3,
      z: null,
      t: true,
      arr: [1, [2, { a: [] }]],
      message: msg(),
      timestamp: '2025-11-01T10:00:00.000Z',
      isSidechain: false,
    }),
  ],
  ['a timestamp with an offset', JSON.stringify({ message: msg(), timestamp: '2025-11-01T11:00:00+01:00' })],
  ['message null', JSON.stringify({ type: 'assistant', message: null, timestamp: '2025-11-01T10:00:00.000Z' })],
  ['usage not an object', JSON.stringify({ message: { id: 'x', model: 'm', usage: 'n/a' }, timestamp: '2025-11-01T10:00:00.000Z' })],
  [
    'a progress line',
    JSON.stringify({ type: 'progress', data: { message: { message: { usage } } }, timestamp: '2025-11-01T10:00:00.000Z' }),
  ],
  ['a torn line', JSON.stringify({ message: msg(), timestamp: '2025-11-01T10:00:00.000Z' }).slice(0, 90)],
  ['garbage after the object', JSON.stringify({ message: msg(), timestamp: '2025-11-01T10:00:00.000Z' }) + ' x'],
  ['a bad count', JSON.stringify({ message: msg({ usage: { input_tokens: -1 } }), timestamp: '2025-11-01T10:00:00.000Z' })],
  [
    'counts as null, exponent, zero and leading spaces',
    '{"timestamp":"2025-11-01T10:00:00.000Z","message":{"id":"m","model":"claude-sonnet-4-5",' +
      '"usage":{"input_tokens":null,"output_tokens":1e3,"cache_read_input_tokens": 0 ,' +
      '"cache_creation":{"ephemeral_5m_input_tokens":7,"ephemeral_1h_input_tokens":8},"speed":"fast"}}}',
  ],
  [
    'a count written as a string, and a fraction',
    JSON.stringify({ message: msg({ usage: { input_tokens: '12', output_tokens: 1.5 } }), timestamp: '2025-11-01T10:00:00.000Z' }),
  ],
  ['a count with a leading zero', '{"timestamp":"2025-11-01T10:00:00.000Z","message":{"id":"m","model":"m","usage":{"input_tokens":012}}}'],
  [
    'cache_creation not an object',
    JSON.stringify({ message: msg({ usage: { ...usage, cache_creation: 5 } }), timestamp: '2025-11-01T10:00:00.000Z' }),
  ],
  ['a bad timestamp', JSON.stringify({ message: msg(), timestamp: 'yesterday' })],
  ['an array, not an object', '[{"message":{"usage":{}}}]'],
  [
    'a progress type spelled with escapes',
    '{"type":"progr\\u0065ss","timestamp":"2025-11-01T10:00:00.000Z","message":{"id":"m","model":"m","usage":{"input_tokens":1}}}',
  ],
  [
    'no message id: the session and uuid name it (the last copy of a repeated key)',
    '{"sessionId":"s1","uuid":"u1","uuid":"u2","sessionId":"s\\u00e9","timestamp":"2025-11-01T10:00:00.000Z",' +
      '"message":{"model":"m","usage":{"input_tokens":1}}}',
  ],
  [
    'no message id, session id not a string',
    '{"sessionId":7,"uuid":"u1","timestamp":"2025-11-01T10:00:00.000Z","message":{"id":"","model":"m","usage":{"input_tokens":1}}}',
  ],
];

describe('the byte walker reads Claude Code lines exactly as JSON.parse does', { timeout: 60_000 }, () => {
  for (const [name, line] of CASES) {
    it(name, () => {
      const r = both(line);
      assert.deepEqual(r.bytes, r.parse);
    });
  }

  it('reads a file line after line as JSON.parse does, where cwd and model change, repeat, or are missing', () => {
    const lines = [
      ['/home/dev/shop', 'claude-sonnet-4-5-20250929'],
      ['/home/dev/shop', 'claude-sonnet-4-5-20250929'],
      ['/home/dev/shoe', 'claude-sonnet-4-5-20250928'],
      [undefined, undefined],
      ['/home/dev/shop', 'claude-opus-4-6'],
      ['C:\\dev\\shop', 'claude-opus-4-6'],
      ['/home/dev/shop', 'claude-sonnet-4-5-20250929'],
    ].map(([cwd, model], i) =>
      JSON.stringify({ type: 'assistant', cwd, timestamp: '2025-11-01T10:00:00.000Z', message: { id: `msg_${i}`, model, usage } }),
    );
    const text = lines.join('\n') + '\n';
    const buf = Buffer.from(text);
    const bytes = claudeCode.createParser('/x/projects/p/s.jsonl');
    const parse = claudeCode.createParser('/x/projects/p/s.jsonl');
    const got: [ParsedRecord[], ParsedRecord[]] = [[], []];
    let start = 0;
    lines.forEach((line, i) => {
      const end = buf.indexOf(10, start);
      got[0].push(...bytes.lineBytes!(buf, start, end, i + 1));
      got[1].push(...parse.line(line, i + 1));
      start = end + 1;
    });
    got[0].push(...bytes.end!());
    got[1].push(...parse.end!());
    assert.equal(got[0].length, lines.length);
    assert.deepEqual(got[0], got[1]);
    // A line without cwd takes its folder's project (projects/p: no transcript there names a cwd, so the name's last part).
    assert.deepEqual(
      got[0].map((r) => r.interaction.project),
      ['shop', 'shop', 'shoe', 'p', 'shop', 'shop', 'shop'],
    );
  });

  it('reads the values that matter, not look-alikes in content', () => {
    const r = both(CASES[5][1]).bytes as ParsedRecord[];
    assert.equal(r.length, 1);
    assert.equal(r[0].interaction.id, 'anthropic:msg_1');
    assert.equal(r[0].interaction.tokens.input, 3);
    assert.equal((both(CASES[1][1]).bytes as ParsedRecord[])[0].interaction.project, 'shop');
    assert.equal((both(CASES[6][1]).bytes as ParsedRecord[])[0].interaction.id, 'anthropic:b');
    assert.match(both(CASES[13][1]).bytes as string, /^malformed: not JSON/);
  });

  // The walker looks for a string's end byte by byte over its first 48 bytes, then natively: escapes
  // (an escaped quote, runs of backslashes) that straddle that point must end the string where
  // JSON.parse ends it, in keys and values, in lines JSON.parse accepts and in lines it refuses.
  it('ends every string where JSON.parse does, with escapes on either side of the 48-byte mark', () => {
    const rng = mulberry32(48);
    // Escapes JSON allows only: the walker does not judge what an escape says (see jsonScan.ts), only where a string ends.
    const pieces = ['a', 'é', '\\\\', '\\"', 'x'.repeat(7), '\\u0041', '}', ','];
    const text = () => {
      const want = Math.floor(rng() * 110);
      const t: string[] = [];
      for (let n = 0; n < want; n += t[t.length - 1].length) t.push(pieces[Math.floor(rng() * pieces.length)]);
      // Now and then a quote between two pieces, which ends the string early.
      if (rng() < 0.15) t.splice(Math.floor(rng() * (t.length + 1)), 0, '"');
      return t.join('');
    };
    let accepted = 0;
    for (let i = 0; i < 1500; i++) {
      // Raw texts: some are valid JSON string bodies, some end a string early or never end it.
      const [k, v, cwd] = [text(), text(), text()];
      const line =
        `{"${k}":"${v}","cwd":"${cwd}","timestamp":"2025-11-01T10:00:00.000Z",` +
        `"message":{"id":"msg_${i}","model":"claude-sonnet-4-5","content":[{"type":"text","text":"${v}"}],"usage":{"input_tokens":${i}}}}`;
      const r = both(line);
      assert.deepEqual(r.bytes, r.parse, line);
      if (typeof r.parse !== 'string') accepted++;
    }
    // Both kinds were tried: lines JSON.parse accepts and lines it refuses.
    assert.ok(accepted > 100 && accepted < 1400, `accepted ${accepted} of 1500`);
  });

  it('reads a long value whose escaped quote falls just past the bytes looked at one by one', () => {
    for (let pad = 40; pad <= 56; pad++) {
      const content = `${'y'.repeat(pad)}\\"${'z'.repeat(70)}\\\\`;
      const line = `{"timestamp":"2025-11-01T10:00:00.000Z","message":{"id":"m","model":"m","content":"${content}","usage":{"input_tokens":${pad}}}}`;
      const r = both(line);
      assert.deepEqual(r.bytes, r.parse);
      assert.equal((r.bytes as ParsedRecord[])[0].interaction.tokens.input, pad);
    }
  });

  it('finds the end of every string as JSON.parse does, however short or long and wherever its escapes fall', () => {
    const rng = mulberry32(4848);
    const chars = ['a', 'é', '"', '\\', '\n', '/', '€', '\u0001'];
    for (let i = 0; i < 3000; i++) {
      let v = '';
      const n = Math.floor(rng() * 130);
      while (v.length < n) v += chars[Math.floor(rng() * chars.length)];
      // A string then more text with quotes and backslashes, as in a line: the walker must stop at its end.
      const text = `${JSON.stringify(v)} ,"k\\"":"\\\\"}`;
      const buf = Buffer.from(`xx${text}`);
      const j = new JsonScan(buf, 2, buf.length);
      const [s, e] = j.range();
      assert.equal(buf.toString('utf8', s, e), JSON.stringify(v), JSON.stringify(v));
      assert.equal(new JsonScan(buf, 2, buf.length).string(), v);
    }
  });
});
