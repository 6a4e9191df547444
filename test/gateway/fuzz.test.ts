/**
 * Fuzzing the gateway's edge: upstream responses for the three APIs (Anthropic Messages, OpenAI Chat
 * Completions, OpenAI Responses), as JSON bodies and as SSE streams, generated from a fixed seed. Each
 * starts from the documented shape and is then left valid, given invalid counts, bent out of shape
 * outside the usage, or bent anywhere (chaos); streams are cut into random chunks (splitting lines, CRLF
 * pairs and multi-byte characters) with random line endings and junk lines.
 *
 * Asserted for every input: the observer never throws and never falls back to its last-resort guard
 * (`observer_failed`), every reported count is a whole number from 0 to MAX_COUNT, an invalid count in a
 * readable usage is diagnosed (usage_invalid_count), and an intact usage maps to the tokens worked out
 * here independently. A sample also goes through a real gateway, which must pass the bytes unchanged and
 * keep serving.
 *
 * Runs: 400 inputs per API, body kind and mode (9,600 in all) in the unit suite; UNMETERED_FUZZ_RUNS=N for N per API and
 * mode in a longer job, UNMETERED_FUZZ_SEED to replay another seed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGateway, MAX_COUNT, observeResponse, type Api, type Gateway } from '../../src/core/gateway';
import type { Tokens } from '../../src/core/interaction';
import { closedUrl } from '../helpers/net';

const RUNS = Number(process.env.UNMETERED_FUZZ_RUNS) > 0 ? Number(process.env.UNMETERED_FUZZ_RUNS) : 400;
const SEED = Number(process.env.UNMETERED_FUZZ_SEED) || 0x5eed_2026;
/** Every how many inputs one goes through the real gateway too. */
const THROUGH_GATEWAY_EVERY = 40;

/** mulberry32: a small, well-known 32-bit seeded PRNG. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)], chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof prng>;

const TEXTS = ['Hello', 'one two three', 'héllo – ✓', 'emoji 😀 ok', '', 'line\nbreak', 'quote " and \\ slash'];
/** Values that are not a count (null is "absent" and therefore not among them). */
const BAD_COUNTS: unknown[] = [-1, -1000, 2.5, 0.1, 1e308, 2 ** 60, MAX_COUNT + 1, '12', 'many', '', true, false, [], [3], {}, { n: 1 }];
function odd(r: Rng): unknown {
  return r.pick<unknown>([
    null,
    true,
    0,
    -1,
    2.5,
    1e308,
    'str',
    '',
    'x'.repeat(1000),
    [],
    [null],
    [1, 'a'],
    {},
    { a: null },
    { type: 'text' },
    [[[[[]]]]],
    { text: 5 },
  ]);
}
const count = (r: Rng, max = 100_000) => r.int(max + 1);

type Mode = 'valid' | 'badCount' | 'shape' | 'chaos';
const MODES: Mode[] = ['valid', 'badCount', 'shape', 'chaos'];

interface Generated {
  bytes: Buffer;
  /** The tokens an intact usage maps to (valid and shape modes), worked out here. */
  expected: Tokens | null;
  /** An invalid count was put into the usage the observer reads. */
  badCount: boolean;
}

const T = (p: Partial<Tokens>): Tokens => ({ input: 0, output: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0, ...p });

/** Puts an invalid count in 1-2 of the keys (paths into `u`) that hold counts. */
function spoil(r: Rng, u: Record<string, any>, paths: string[][]): void {
  for (let k = 1 + r.int(2); k > 0; k--) {
    const p = r.pick(paths);
    let o = u;
    for (const key of p.slice(0, -1)) o = o[key];
    o[p.at(-1)!] = r.pick(BAD_COUNTS);
  }
}

/** Replaces a random value somewhere under `v` (not under keys in `keep`) with an odd one. */
function bend(r: Rng, v: any, keep: Set<string>, depth = 0): void {
  if (!v || typeof v !== 'object') return;
  const keys = Array.isArray(v) ? v.map((_, i) => String(i)) : Object.keys(v).filter((k) => !keep.has(k));
  if (keys.length === 0) return;
  const k = r.pick(keys);
  if (depth < 4 && v[k] && typeof v[k] === 'object' && r.chance(0.6)) return bend(r, v[k], keep, depth + 1);
  if (r.chance(0.2)) delete v[k];
  else v[k] = odd(r);
}

// ——— usage per API, with the mapping worked out independently ———

function anthropicUsage(r: Rng) {
  const split = r.chance(0.5);
  const u: Record<string, any> = {
    input_tokens: count(r),
    output_tokens: count(r),
    cache_read_input_tokens: count(r),
    cache_creation_input_tokens: count(r),
  };
  if (split) u.cache_creation = { ephemeral_5m_input_tokens: count(r), ephemeral_1h_input_tokens: count(r) };
  // Anthropic counts are disjoint; with `cache_creation` present its split replaces the single figure.
  const expected = T({
    input: u.input_tokens,
    output: u.output_tokens,
    cacheRead: u.cache_read_input_tokens,
    cacheWrite5m: split ? u.cache_creation.ephemeral_5m_input_tokens : u.cache_creation_input_tokens,
    cacheWrite1h: split ? u.cache_creation.ephemeral_1h_input_tokens : 0,
  });
  const paths = [
    ['input_tokens'],
    ['output_tokens'],
    ['cache_read_input_tokens'],
    split ? ['cache_creation', 'ephemeral_5m_input_tokens'] : ['cache_creation_input_tokens'],
  ];
  return { u, expected, paths };
}

function openaiUsage(r: Rng, api: 'openai-chat' | 'openai-responses') {
  const [inK, outK, inD, outD] =
    api === 'openai-chat'
      ? ['prompt_tokens', 'completion_tokens', 'prompt_tokens_details', 'completion_tokens_details']
      : ['input_tokens', 'output_tokens', 'input_tokens_details', 'output_tokens_details'];
  const input = count(r);
  const output = count(r);
  const cached = r.int(input + 1);
  const reasoning = r.int(output + 1);
  const u = {
    [inK]: input,
    [outK]: output,
    total_tokens: input + output,
    [inD]: { cached_tokens: cached },
    [outD]: { reasoning_tokens: reasoning },
  };
  // cached ⊂ input and reasoning ⊂ output: the uncached rest is our input.
  const expected = T({ input: input - cached, cacheRead: cached, output, reasoning });
  return { u: u as Record<string, any>, expected, paths: [[inK], [outK], [inD, 'cached_tokens'], [outD, 'reasoning_tokens']] };
}

function usageFor(r: Rng, api: Api) {
  return api === 'anthropic' ? anthropicUsage(r) : openaiUsage(r, api);
}

// ——— JSON bodies ———

function jsonBody(r: Rng, api: Api, mode: Mode): Generated {
  const { u, expected, paths } = usageFor(r, api);
  const text = r.pick(TEXTS);
  const body: any =
    api === 'anthropic'
      ? {
          id: 'msg_fz',
          type: 'message',
          role: 'assistant',
          model: 'claude-sonnet-4-5',
          content: [
            { type: 'text', text },
            { type: 'tool_use', id: 't', name: 'Read', input: { path: 'a' } },
          ],
          stop_reason: 'end_turn',
          usage: u,
        }
      : api === 'openai-chat'
        ? {
            id: 'chatcmpl-fz',
            object: 'chat.completion',
            model: 'gpt-4o',
            choices: [
              {
                index: 0,
                message: {
                  role: 'assistant',
                  content: text,
                  tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }],
                },
                finish_reason: 'stop',
              },
            ],
            usage: u,
          }
        : {
            id: 'resp_fz',
            object: 'response',
            model: 'gpt-5',
            status: 'completed',
            output: [
              { type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] },
              { type: 'function_call', arguments: '{}' },
            ],
            usage: u,
          };
  if (mode === 'badCount') spoil(r, u, paths);
  if (mode === 'shape') for (let k = 1 + r.int(3); k > 0; k--) bend(r, body, new Set(['usage']));
  let bytes = Buffer.from(JSON.stringify(body));
  if (mode === 'chaos') {
    const root = r.int(4);
    if (root === 0) bytes = Buffer.from(JSON.stringify(odd(r)));
    else if (root === 1) bytes = bytes.subarray(0, r.int(bytes.length));
    else
      for (let k = 1 + r.int(4); k > 0; k--) {
        bend(r, body, new Set());
        bytes = Buffer.from(JSON.stringify(body));
      }
  }
  return { bytes, expected: mode === 'valid' || mode === 'shape' ? expected : null, badCount: mode === 'badCount' };
}

// ——— SSE streams ———

function events(r: Rng, api: Api, mode: Mode): { frames: Array<[string, unknown]>; expected: Tokens | null; badCount: boolean } {
  const { u, expected, paths } = usageFor(r, api);
  const text = r.pick(TEXTS).split(' ');
  if (mode === 'badCount') spoil(r, u, paths);
  const keepUsage = mode !== 'chaos';
  const deltas: Array<[string, any]> = [];
  const out: Array<[string, any]> = [];
  if (api === 'anthropic') {
    // message_start holds input-side counts and output 1; message_delta restates them all (newer API versions).
    const start: Record<string, any> = { ...u, output_tokens: 1 };
    if (mode === 'badCount') for (const k of Object.keys(start)) if (k !== 'cache_creation') start[k] = 0;
    out.push([
      'message_start',
      {
        type: 'message_start',
        message: { id: 'msg_fz', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], usage: start },
      },
    ]);
    for (const w of text)
      deltas.push(['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: w } }]);
    out.push(
      ...deltas,
      ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: u }],
      ['message_stop', { type: 'message_stop' }],
    );
  } else if (api === 'openai-chat') {
    out.push([
      '',
      {
        id: 'chatcmpl-fz',
        object: 'chat.completion.chunk',
        model: 'gpt-4o',
        choices: [{ index: 0, delta: { role: 'assistant', content: '' } }],
        usage: null,
      },
    ]);
    for (const w of text)
      deltas.push([
        '',
        { id: 'chatcmpl-fz', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: w } }], usage: null },
      ]);
    out.push(...deltas, ['', { id: 'chatcmpl-fz', object: 'chat.completion.chunk', choices: [], usage: u }], ['', '[DONE]']);
  } else {
    out.push(['response.created', { type: 'response.created', response: { id: 'resp_fz', model: 'gpt-5', status: 'in_progress' } }]);
    for (const w of text) deltas.push(['response.output_text.delta', { type: 'response.output_text.delta', delta: w }]);
    out.push(...deltas, [
      'response.completed',
      { type: 'response.completed', response: { id: 'resp_fz', model: 'gpt-5', status: 'completed', usage: u } },
    ]);
  }
  if (mode === 'shape') for (const d of deltas) if (r.chance(0.5)) bend(r, d[1], new Set(['usage', 'type']));
  if (mode === 'chaos')
    for (const d of out)
      if (r.chance(0.4)) typeof d[1] === 'object' && d[1] !== null && r.chance(0.8) ? bend(r, d[1], new Set()) : (d[1] = odd(r));
  return { frames: out, expected: keepUsage && mode !== 'badCount' ? expected : null, badCount: mode === 'badCount' };
}

const JUNK = [
  ': keep-alive',
  'event: ping\ndata: {"type":"ping"}',
  'retry: 100',
  'data: not json',
  'event: unknown.event\ndata: {"x":[1,2]}',
  'id: 7',
  'data',
];

function sseBody(r: Rng, api: Api, mode: Mode): Generated {
  const { frames, expected, badCount } = events(r, api, mode);
  // One line ending per stream: a CR followed by an LF ending would be one CRLF, not a blank line.
  const ending = r.pick(['\n', '\r\n', '\r']);
  const eol = () => ending;
  let s = '';
  for (const [event, data] of frames) {
    // Junk events never carry usage-bearing event types, so they cannot change what is read.
    if (r.chance(0.15)) s += r.pick(JUNK).replace(/\n/g, eol()) + eol() + eol();
    const payload = typeof data === 'string' ? data : JSON.stringify(data);
    s += `${event && r.chance(0.9) ? `event: ${event}${eol()}` : ''}data: ${payload}${eol()}${eol()}`;
  }
  let bytes = Buffer.from(s);
  if (mode === 'chaos' && r.chance(0.3)) bytes = bytes.subarray(0, r.int(bytes.length));
  return { bytes, expected, badCount };
}

/** Random chunking, splitting anywhere (inside CRLF pairs and multi-byte characters too). */
function chunks(r: Rng, b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < b.length;) {
    const n = r.chance(0.3) ? 1 + r.int(3) : 1 + r.int(200);
    out.push(b.subarray(i, i + n));
    i += n;
  }
  return out;
}

// ——— checks ———

function check(api: Api, streaming: boolean, g: Generated, parts: Buffer[], label: string): void {
  const o = observeResponse(api, streaming);
  assert.doesNotThrow(() => {
    for (const p of parts) o.push(p);
    o.end();
  }, label);
  const ob = o.observation;
  assert.doesNotThrow(() => ob.outputText(), label);
  assert.ok(!ob.diagnostics.includes('observer_failed'), `${label}: a fault escaped validation`);
  if (ob.reported) {
    for (const [k, v] of Object.entries(ob.reported)) assert.ok(Number.isInteger(v) && v >= 0 && v <= MAX_COUNT, `${label}: ${k} = ${v}`);
  }
  if (g.badCount) {
    assert.ok(
      ob.diagnostics.includes('usage_invalid_count') && ob.invalid.size > 0,
      `${label}: an invalid count was not diagnosed (${ob.diagnostics.join(',')})`,
    );
  }
  if (g.expected) {
    assert.deepEqual(ob.reported, g.expected, label);
    assert.equal(ob.invalid.size, 0, label);
  }
}

function raw(bytes: Buffer, streaming: boolean): Promise<{ url: string; close(): Promise<void>; set(b: Buffer): void }> {
  let next = bytes;
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': streaming ? 'text/event-stream' : 'application/json' });
    res.end(next);
  });
  return new Promise((ok) =>
    server.listen(0, '127.0.0.1', () =>
      ok({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        set: (b) => (next = b),
        close: () => new Promise<void>((c) => (server.closeAllConnections(), server.close(() => c()))),
      }),
    ),
  );
}

const PATH: Record<Api, string> = { anthropic: '/v1/messages', 'openai-chat': '/v1/chat/completions', 'openai-responses': '/v1/responses' };

for (const api of ['anthropic', 'openai-chat', 'openai-responses'] as Api[]) {
  // 400 runs per case in the unit suite; test:all's UNMETERED_FUZZ_RUNS=20000 is 50 times that.
  describe(`fuzz: ${api} upstream responses`, { timeout: RUNS > 400 ? 600_000 : 120_000 }, () => {
    let upstream: Awaited<ReturnType<typeof raw>>;
    let gateway: Gateway;
    let port: number;
    before(async () => {
      upstream = await raw(Buffer.alloc(0), false);
      const dead = await closedUrl();
      gateway = createGateway({
        config: () => ({
          route: 'cloud',
          localModel: null,
          anthropicUpstream: upstream.url,
          openaiUpstream: upstream.url,
          ollamaHost: dead,
        }),
        onInteraction: () => {},
        countTokens: async (t) => Math.ceil(t.length / 4),
      });
      port = await gateway.listen(0);
    });
    after(async () => {
      await gateway.close();
      await upstream.close();
    });

    for (const streaming of [false, true]) {
      test(`${streaming ? 'SSE streams' : 'JSON bodies'}: ${RUNS} per mode (${MODES.join(', ')}), seed ${SEED}`, async () => {
        const r = prng(SEED ^ (api.length * 7919) ^ (streaming ? 0x9e3779b9 : 0));
        let sent = 0;
        for (const mode of MODES) {
          for (let i = 0; i < RUNS; i++) {
            const g = streaming ? sseBody(r, api, mode) : jsonBody(r, api, mode);
            check(api, streaming, g, chunks(r, g.bytes), `${api} ${streaming ? 'sse' : 'json'} ${mode} #${i} (seed ${SEED})`);
            if (i % THROUGH_GATEWAY_EVERY === 0) {
              upstream.set(g.bytes);
              const res = await fetch(`http://127.0.0.1:${port}${PATH[api]}`, {
                method: 'POST',
                headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
                body: '{"model":"m","messages":[]}',
              });
              assert.equal(res.status, 200);
              assert.ok(Buffer.from(await res.arrayBuffer()).equals(g.bytes), `${api} ${mode} #${i}: bytes changed on the way`);
              sent++;
            }
          }
        }
        await gateway.settled();
        assert.ok(sent > 0 && gateway.server.listening);
      });
    }
  });
}
