import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseReader, observeResponse, requestText } from '../../src/core/gateway';

function read(chunks: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const r = new SseReader((e, d) => out.push([e, d]));
  for (const c of chunks) r.push(Buffer.from(c));
  r.end();
  return out;
}

test('SSE framing: event and data lines, multi-line data, comments, LF/CRLF/CR, chunks split anywhere', () => {
  const stream = ': keep-alive\r\nevent: message_start\r\ndata: {"a":1}\r\n\r\ndata: line one\ndata: line two\n\nevent: ping\rdata: {}\r\r';
  const expected: Array<[string, string]> = [
    ['message_start', '{"a":1}'],
    ['', 'line one\nline two'],
    ['ping', '{}'],
  ];
  assert.deepEqual(read([stream]), expected);
  for (let cut = 1; cut < stream.length; cut++)
    assert.deepEqual(read([stream.slice(0, cut), stream.slice(cut)]), expected, `split at ${cut}`);
  assert.deepEqual(read(Array.from(stream)), expected, 'one character at a time');
});

test('a multi-byte character split across chunks is decoded intact', () => {
  const bytes = Buffer.from('data: {"t":"héllo – ✓"}\n\n');
  const out: string[] = [];
  const r = new SseReader((_e, d) => out.push(d));
  for (const b of bytes) r.push(Buffer.from([b]));
  assert.deepEqual(out, ['{"t":"héllo – ✓"}']);
});

test('an event not closed by a blank line at the end of the stream is not dispatched', () => {
  assert.deepEqual(read(['data: {"a":1}\n\ndata: {"torn"']), [['', '{"a":1}']]);
});

test('OpenAI chat chunks with "usage": null are not taken for usage; the final usage chunk is', () => {
  const o = observeResponse('openai-chat', true);
  o.push(Buffer.from('data: {"id":"chatcmpl-1","model":"gpt-4o","choices":[{"delta":{"content":"Hi"}}],"usage":null}\n\n'));
  assert.equal(o.observation.reported, null);
  o.push(
    Buffer.from(
      'data: {"id":"chatcmpl-1","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":2,' +
        '"prompt_tokens_details":{"cached_tokens":4}}}\n\ndata: [DONE]\n\n',
    ),
  );
  o.end();
  assert.deepEqual(o.observation.reported, { input: 6, output: 2, cacheRead: 4, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 });
  assert.equal(o.observation.complete, true);
  assert.equal(o.observation.outputText(), 'Hi');
});

test('requestText keeps what the model reads (system, messages, tool schemas) and skips ids, roles and base64 data', () => {
  const t = requestText({
    model: 'claude-sonnet-4-5',
    system: [{ type: 'text', text: 'SYS', cache_control: { type: 'ephemeral' } }],
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'USER' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
        ],
      },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Read', input: { path: 'a.ts' } }] },
    ],
    tools: [{ name: 'Read', input_schema: { type: 'object' } }],
  });
  assert.ok(t.includes('SYS') && t.includes('USER') && t.includes('a.ts') && t.includes('"input_schema"'));
  assert.ok(!t.includes('AAAA') && !t.includes('toolu_1') && !t.includes('claude-sonnet-4-5') && !t.includes('ephemeral'));
});
