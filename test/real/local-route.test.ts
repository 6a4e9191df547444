/**
 * The gateway's local route against a REAL inference engine: llama.cpp's llama-server, built from the source
 * node-llama-cpp 3.22.1 ships (test/real/llama-server.sh; ggml-org/llama.cpp de3ff815ea7d), serving a tiny
 * random-weight GGUF (test/real/tiny-gguf.mjs). Its text is noise; what matters is that a real server
 * tokenizes, generates, streams and counts, and that the agent, the ledger and the avoided spend see exactly that.
 *
 * Not part of `npm test`: test/run.mjs runs test/real only with --real (or --all), and test/all.mjs builds the
 * server first and names it in UNMETERED_LLAMA_SERVER. Without that variable this suite fails, saying how to
 * get one.
 *
 * The token counts expected in the ledger are read by this file from the server's own answer, with its own
 * parsing (not the gateway's): usage as llama.cpp writes it (tools/server/server-task.cpp: OpenAI
 * `prompt_tokens` including `prompt_tokens_details.cached_tokens`; Anthropic `input_tokens` net of
 * `cache_read_input_tokens`, the stream's message_start carrying input and message_delta output) and, where
 * it sends them, its `timings` (prompt_n new + cache_n cached = the prompt, predicted_n = the output).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createGateway, type Gateway, type GatewayConfig } from '../../src/core/gateway';
import type { Interaction, Tokens } from '../../src/core/interaction';
import { openLedger, type Ledger } from '../../src/core/ledger';
import { fixedClock, memoryLogger } from '../../src/core/ports';
import { loadPriceTable } from '../../src/core/pricing';
import { Recorder } from '../../src/core/record/recorder';
import { llamaServerBinary, startLlamaServer, TINY_MODEL, writeTinyGguf, type LlamaServer } from '../helpers/llama-server';
import { anthropicHeaders } from '../gateway/harness';

type Json = Record<string, any>;

/** One server-sent event: its `event:` name (if any) and its `data:` (lines joined). */
interface Sse {
  event: string | null;
  data: string;
}

/** Server-sent events as the HTML spec frames them: blank-line separated, `field: value` lines. */
function parseSse(text: string): Sse[] {
  const out: Sse[] = [];
  for (const block of text.replace(/\r\n/g, '\n').split('\n\n')) {
    if (!block.trim()) continue;
    let event: string | null = null;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const m = /^([a-z]+): ?(.*)$/.exec(line);
      assert.ok(m, `not an SSE field line: ${JSON.stringify(line)}`);
      if (m[1] === 'event') event = m[2]!;
      else if (m[1] === 'data') data.push(m[2]);
    }
    out.push({ event, data: data.join('\n') });
  }
  return out;
}

const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
const MAX_TOKENS = 8;

const READ_FILE_ANTHROPIC = {
  name: 'read_file',
  description: 'Read a file of the project',
  input_schema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
};
const READ_FILE_OPENAI = {
  type: 'function',
  function: { name: 'read_file', description: READ_FILE_ANTHROPIC.description, parameters: READ_FILE_ANTHROPIC.input_schema },
};

describe('the local route against a real llama-server (llama.cpp)', { timeout: 240_000 }, () => {
  let dir: string;
  let llama: LlamaServer | undefined;
  let gateway: Gateway | undefined;
  let ledger: Ledger | undefined;
  let url: string;
  const prices = loadPriceTable();
  const config: GatewayConfig = {
    route: 'local',
    localModel: TINY_MODEL,
    anthropicUpstream: 'http://127.0.0.1:9',
    openaiUpstream: 'http://127.0.0.1:9',
    ollamaHost: 'http://127.0.0.1:9',
  };

  before(async () => {
    const bin = llamaServerBinary(); // fails the suite, saying how to build one, when UNMETERED_LLAMA_SERVER is unset
    dir = await mkdtemp(path.join(os.tmpdir(), 'unmetered-real-'));
    const model = path.join(dir, 'tiny.gguf');
    writeTinyGguf(model, 7);
    llama = await startLlamaServer({ bin, model, ctx: 4096 });
    config.localServer = { kind: 'llamacpp', host: llama.url };
    // The composition the extension and `unmetered gateway` use: the gateway hands each interaction to a
    // Recorder, which prices it with the pinned table and appends it to the ledger in the data directory.
    ledger = await openLedger({ dir: path.join(dir, 'data') });
    const recorder = new Recorder({ ledger, prices: () => prices });
    gateway = createGateway({
      config: () => config,
      onInteraction: (i) => recorder.record(i),
      logger: memoryLogger(),
      clock: fixedClock('2026-12-02T09:00:00Z'),
    });
    url = `http://127.0.0.1:${await gateway.listen(0)}`;
  });

  after(async () => {
    await gateway?.close();
    await ledger?.close();
    await llama?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The record as a fresh reader of the ledger files finds it (what the meter and reports read). */
  async function stored(id: string): Promise<Interaction> {
    await gateway!.settled();
    const reader = await openLedger({ dir: path.join(dir, 'data') });
    try {
      const r = reader.get(id);
      assert.ok(
        r,
        `the ledger has no record ${id}; it has ${reader
          .records()
          .map((x) => x.id)
          .join(', ')}`,
      );
      return r;
    } finally {
      await reader.close();
    }
  }

  const post = (p: string, body: object, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(`${url}${p}`, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(60_000) });
  const anthropic = (body: object) =>
    post(
      '/v1/messages',
      {
        model: 'claude-sonnet-4-5',
        max_tokens: MAX_TOKENS,
        temperature: 0,
        tools: [READ_FILE_ANTHROPIC],
        messages: [{ role: 'user', content: 'hello world, read the file.' }],
        ...body,
      },
      { ...anthropicHeaders, 'x-api-key': 'sk-ant-real-test' },
    );
  const chat = (body: object) =>
    post('/v1/chat/completions', {
      model: 'gpt-4o',
      max_tokens: MAX_TOKENS,
      temperature: 0,
      seed: 1,
      tools: [READ_FILE_OPENAI],
      messages: [{ role: 'user', content: 'hello world, read the file.' }],
      ...body,
    });

  const tokensOf = (input: number, cacheRead: number, output: number): Tokens => ({
    input,
    output,
    cacheRead,
    cacheWrite5m: 0,
    cacheWrite1h: 0,
    reasoning: 0,
  });

  /** What every local record of this suite says besides its counts and price. */
  function assertLocal(r: Interaction, replaces: string): void {
    assert.equal(r.source, 'gateway');
    assert.equal(r.route, 'local', 'a llama-server on loopback is local');
    assert.equal(r.model, TINY_MODEL, 'the model the server answered with (its --alias)');
    assert.equal(r.replaces, replaces);
    assert.equal(r.costNanos, 0);
    assert.equal(r.priceSource, 'local');
    assert.equal(r.estimated, false, "the server's own counts, not a tokenizer's estimate");
  }

  // claude-sonnet-4-5 in the pinned table (src/core/pricing/snapshot.json, litellm@00035b69):
  //   input $3e-6, output $1.5e-5, cache read $3e-7 per token
  //   = 3,000,000 / 15,000,000 / 300,000 pico-dollars = 3,000 / 15,000 / 300 nano-dollars per token (whole: no rounding).
  const sonnetAvoided = (t: Tokens) => t.input * 3_000 + t.cacheRead * 300 + t.output * 15_000;
  // gpt-4o there: input $2.5e-6, output $1e-5, cache read $1.25e-6 per token = 2,500 / 10,000 / 1,250 nano-dollars.
  const gpt4oAvoided = (t: Tokens) => t.input * 2_500 + t.cacheRead * 1_250 + t.output * 10_000;

  test("the rates written out below are the pinned price table's (a worked example)", () => {
    // 100 new input + 20 cache reads + 8 output for claude-sonnet-4-5: 300,000 + 6,000 + 120,000 = 426,000 n$;
    // for gpt-4o: 250,000 + 25,000 + 80,000 = 355,000 n$. The same figures from the price table itself:
    assert.equal(sonnetAvoided(tokensOf(100, 20, 8)), 426_000);
    assert.equal(gpt4oAvoided(tokensOf(100, 20, 8)), 355_000);
    const priced = (m: string) => {
      const p = prices.lookup(m)!.price;
      return 100 * p.input + 20 * p.cacheRead + 8 * p.output;
    };
    assert.equal(priced('claude-sonnet-4-5'), 426_000_000, 'pico-dollars');
    assert.equal(priced('gpt-4o'), 355_000_000, 'pico-dollars');
  });

  test("Anthropic Messages with a tool, not streamed: a well-formed message; the ledger holds the server's counts", async () => {
    const res = await anthropic({});
    assert.equal(res.status, 200, await res.clone().text());
    const m = (await res.json()) as Json;
    assert.equal(m.type, 'message');
    assert.equal(m.role, 'assistant');
    assert.equal(m.model, TINY_MODEL);
    assert.match(m.id, /\S/);
    assert.ok(Array.isArray(m.content));
    for (const b of m.content) assert.ok(['text', 'tool_use', 'thinking'].includes(b.type), JSON.stringify(b));
    assert.ok(['end_turn', 'max_tokens', 'tool_use'].includes(m.stop_reason), m.stop_reason);
    const u = m.usage;
    assert.ok(isCount(u.input_tokens) && isCount(u.cache_read_input_tokens) && isCount(u.output_tokens), JSON.stringify(u));
    assert.ok(u.input_tokens + u.cache_read_input_tokens > 20, 'the prompt with its tool definition is more than a few tokens');
    assert.ok(u.output_tokens >= 1 && u.output_tokens <= MAX_TOKENS, `output ${u.output_tokens}`);
    if (u.output_tokens < MAX_TOKENS) assert.notEqual(m.stop_reason, 'max_tokens');

    const r = await stored(`anthropic:${m.id}`);
    assertLocal(r, 'claude-sonnet-4-5');
    const t = tokensOf(u.input_tokens, u.cache_read_input_tokens, u.output_tokens);
    assert.deepEqual(r.tokens, t);
    assert.equal(r.avoidedNanos, sonnetAvoided(t));
  });

  test("Anthropic Messages with a tool, streamed: message_start … message_stop in order; the ledger holds the server's counts", async () => {
    const res = await anthropic({ stream: true });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const events = parseSse(await res.text());
    const names = events.map((e) => e.event);
    assert.equal(names[0], 'message_start', names.join(' '));
    assert.equal(names.at(-1), 'message_stop', names.join(' '));
    assert.equal(names.at(-2), 'message_delta', names.join(' '));
    const data = events.map((e) => JSON.parse(e.data) as Json);
    events.forEach((e, k) => assert.equal(data[k].type, e.event, 'each event names its data type'));
    // Every content block opens, takes deltas and closes, by index, between message_start and message_delta.
    const open = new Set<number>();
    const closed = new Set<number>();
    for (const d of data.slice(1, -2)) {
      if (d.type === 'content_block_start') open.add(d.index);
      else if (d.type === 'content_block_delta') assert.ok(open.has(d.index) && !closed.has(d.index), JSON.stringify(d));
      else if (d.type === 'content_block_stop') closed.add(d.index);
      else assert.equal(d.type, 'ping', JSON.stringify(d));
    }
    assert.deepEqual([...closed].sort(), [...open].sort(), 'every block that opened closed');
    const text = data
      .filter((d) => d.type === 'content_block_delta' && d.delta.type === 'text_delta')
      .map((d) => d.delta.text as string)
      .join('');
    assert.match(text, /\S/, 'the generated words were streamed');
    const start = data[0].message;
    assert.equal(start.model, TINY_MODEL);
    const input = start.usage.input_tokens;
    const cached = start.usage.cache_read_input_tokens;
    const output = data.at(-2)!.usage.output_tokens;
    assert.ok(isCount(input) && isCount(cached) && isCount(output) && output >= 1 && output <= MAX_TOKENS);
    // The same prompt as the test before: llama-server reuses its slot's cache for all of it but the last token.
    assert.ok(cached > 0, `llama-server reused its prompt cache (cache_read_input_tokens ${cached})`);

    const r = await stored(`anthropic:${start.id}`);
    assertLocal(r, 'claude-sonnet-4-5');
    const t = tokensOf(input, cached, output);
    assert.deepEqual(r.tokens, t);
    assert.equal(r.avoidedNanos, sonnetAvoided(t));
  });

  test('OpenAI Chat with a tool, not streamed: a chat.completion; the ledger holds the counts usage and timings agree on', async () => {
    const res = await chat({});
    assert.equal(res.status, 200, await res.clone().text());
    const c = (await res.json()) as Json;
    assert.equal(c.object, 'chat.completion');
    assert.equal(c.model, TINY_MODEL);
    assert.match(c.id, /\S/);
    assert.equal(c.choices.length, 1);
    assert.equal(c.choices[0].message.role, 'assistant');
    assert.ok(['stop', 'length', 'tool_calls'].includes(c.choices[0].finish_reason), c.choices[0].finish_reason);
    const u = c.usage;
    const cached = u.prompt_tokens_details.cached_tokens;
    assert.ok(isCount(u.prompt_tokens) && isCount(u.completion_tokens) && isCount(cached) && cached <= u.prompt_tokens);
    assert.equal(u.total_tokens, u.prompt_tokens + u.completion_tokens);
    assert.ok(u.completion_tokens >= 1 && u.completion_tokens <= MAX_TOKENS);
    // Its timings count the same tokens another way: evaluated now (prompt_n) + reused (cache_n), and predicted.
    assert.equal(c.timings.prompt_n + c.timings.cache_n, u.prompt_tokens, JSON.stringify(c.timings));
    assert.equal(c.timings.cache_n, cached);
    assert.equal(c.timings.predicted_n, u.completion_tokens);

    const r = await stored(`openai:${c.id}`);
    assertLocal(r, 'gpt-4o');
    const t = tokensOf(u.prompt_tokens - cached, cached, u.completion_tokens);
    assert.deepEqual(r.tokens, t);
    assert.equal(r.avoidedNanos, gpt4oAvoided(t));
  });

  test("OpenAI Chat with a tool, streamed: chat.completion.chunk … [DONE]; the ledger holds the final usage chunk's counts", async () => {
    const res = await chat({ stream: true, stream_options: { include_usage: true } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const events = parseSse(await res.text());
    assert.equal(events.at(-1)!.data, '[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data) as Json);
    assert.ok(chunks.length >= 2);
    const id = chunks[0].id;
    for (const k of chunks) {
      assert.equal(k.object, 'chat.completion.chunk');
      assert.equal(k.id, id, 'one id throughout');
      assert.equal(k.model, TINY_MODEL);
    }
    assert.equal(chunks[0].choices[0].delta.role, 'assistant');
    const finished = chunks.filter((k) => k.choices.some((x: Json) => x.finish_reason));
    assert.equal(finished.length, 1, 'one chunk carries the finish_reason');
    // With include_usage, the last chunk has no choices and the usage (OpenAI's documented stream shape).
    const last = chunks.at(-1)!;
    assert.deepEqual(last.choices, []);
    const u = last.usage;
    const cached = u.prompt_tokens_details.cached_tokens;
    assert.equal(last.timings.prompt_n + last.timings.cache_n, u.prompt_tokens);
    assert.equal(last.timings.predicted_n, u.completion_tokens);
    const deltas = chunks.filter((k) => k.choices[0]?.delta?.content).length;
    assert.match(chunks.map((k) => k.choices[0]?.delta?.content ?? '').join(''), /\S/, 'the generated words were streamed');
    assert.ok(deltas <= u.completion_tokens, `${deltas} text deltas for ${u.completion_tokens} tokens`);

    const r = await stored(`openai:${id}`);
    assertLocal(r, 'gpt-4o');
    const t = tokensOf(u.prompt_tokens - cached, cached, u.completion_tokens);
    assert.deepEqual(r.tokens, t);
    assert.equal(r.avoidedNanos, gpt4oAvoided(t));
  });

  test('OpenAI Responses with a function tool, streamed: llama-server serves it natively; response.created … response.completed, recorded', async () => {
    const res = await post('/v1/responses', {
      model: 'gpt-4o',
      input: 'hello world, read the file.',
      max_output_tokens: MAX_TOKENS,
      temperature: 0,
      stream: true,
      tools: [
        { type: 'function', name: 'read_file', description: READ_FILE_ANTHROPIC.description, parameters: READ_FILE_ANTHROPIC.input_schema },
      ],
    });
    assert.equal(res.status, 200);
    const events = parseSse(await res.text());
    const data = events.map((e) => JSON.parse(e.data) as Json);
    events.forEach((e, k) => assert.equal(data[k].type, e.event, 'each event names its data type'));
    assert.equal(data[0].type, 'response.created');
    assert.equal(data.at(-1)!.type, 'response.completed');
    const done = data.at(-1)!.response;
    assert.equal(done.object, 'response');
    assert.equal(done.status, 'completed');
    assert.equal(done.id, data[0].response.id, 'one response id throughout');
    const streamed = data.filter((d) => d.type === 'response.output_text.delta').map((d) => d.delta as string);
    const final = data.filter((d) => d.type === 'response.output_text.done').map((d) => d.text as string);
    assert.deepEqual(final, [streamed.join('')], 'the deltas add up to the done text');
    assert.match(final[0], /\S/, 'the generated words were streamed');
    const u = done.usage;
    const cached = u.input_tokens_details.cached_tokens;
    assert.equal(u.total_tokens, u.input_tokens + u.output_tokens);
    assert.ok(u.output_tokens >= 1 && u.output_tokens <= MAX_TOKENS);
    assert.equal(data.at(-1)!.timings.prompt_n + data.at(-1)!.timings.cache_n, u.input_tokens);

    const r = await stored(`openai:${done.id}`);
    assertLocal(r, 'gpt-4o');
    const t = tokensOf(u.input_tokens - cached, cached, u.output_tokens);
    assert.deepEqual(r.tokens, t);
    assert.equal(r.avoidedNanos, gpt4oAvoided(t));
  });

  test("a Responses request llama-server refuses (previous_response_id): the OpenAI error shape with llama.cpp's reason, nothing recorded", async () => {
    const before = (await reread()).length;
    const res = await post('/v1/responses', {
      model: 'gpt-4o',
      input: 'and then?',
      previous_response_id: 'resp_123',
      max_output_tokens: 4,
    });
    const body = (await res.json()) as Json;
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.deepEqual(Object.keys(body), ['error']);
    assert.equal(body.error.type, 'invalid_request_error');
    // tools/server/server-chat.cpp server_chat_convert_responses_to_chatcmpl throws exactly this.
    assert.match(
      body.error.message,
      /^llama\.cpp at http:\/\/127\.0\.0\.1:\d+ refused the request \(400\): llama\.cpp does not support 'previous_response_id'\.$/,
    );
    assert.equal((await reread()).length, before);
  });

  test("a prompt larger than llama-server's window: refused in Anthropic's error shape with llama-server's way to raise it", async () => {
    // 5,000 characters outside the tiny vocabulary are 5,000 byte-fallback tokens: more than the 4,096-token
    // window, yet 5 KB, under the 6-bytes-per-token bound where the gateway refuses before asking the server.
    const res = await anthropic({ messages: [{ role: 'user', content: 'x'.repeat(5_000) }] });
    const body = (await res.json()) as Json;
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'invalid_request_error');
    assert.match(
      body.error.message,
      /^The request does not fit tiny-random's context window \(llama\.cpp: .*exceeds the available context size \(4096 tokens\).*\)\./,
    );
    assert.match(body.error.message, /restart llama-server with `-c 65536`/);
  });

  async function reread(): Promise<readonly Interaction[]> {
    await gateway!.settled();
    const reader = await openLedger({ dir: path.join(dir, 'data') });
    try {
      return reader.records().slice();
    } finally {
      await reader.close();
    }
  }
});
