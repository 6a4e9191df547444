/**
 * Hostile and unlucky inputs against the gateway (issue 11, items 1, 8, 9, 12, 13), each through the
 * shipped CLI gateway (dist/cli.js) in its own process, recording into a real ledger in a temp directory.
 * Every case asserts that the process survives (still alive, health answers), that clients sending valid
 * requests at the same moment get their answers intact, and that the totals of everything valid in the
 * ledger are exactly what those valid answers reported.
 *
 * The upstream is a loopback server speaking the vendors' wire formats (Anthropic Messages, OpenAI Chat
 * Completions and Responses, JSON and SSE), scripted per request by an `x-case` header the client sends
 * through the gateway.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { hostGateway, createGateway, loadGatewaySecret, HEALTH_PATH } from '../../src/core/gateway';
import { openLedger } from '../../src/core/ledger';
import { totalTokens, type Interaction } from '../../src/core/interaction';
import { startGatewayChild, type GatewayChild } from '../helpers/gateway-child';
import { startFakeOllama, type FakeOllama } from '../helpers/fake-vendors';
import { closedUrl } from '../helpers/net';

// ——— the scripted upstream ———

interface Script {
  status?: number;
  type: 'json' | 'sse';
  /** The exact bytes sent, in these chunks. */
  chunks: Array<string | Buffer>;
  headers?: Record<string, string>;
}

const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
const json = (v: unknown): Script => ({ type: 'json', chunks: [JSON.stringify(v)] });
const stream = (...frames: string[]): Script => ({ type: 'sse', chunks: frames });

/** A valid Anthropic stream whose final usage is `delta`, the message_start usage `start`, text "one two three". */
function anthropicStream(id: string, start: unknown, delta: unknown): Script {
  return stream(
    sse('message_start', {
      type: 'message_start',
      message: { id, type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], usage: start },
    }),
    sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'one two three' } }),
    sse('content_block_stop', { type: 'content_block_stop', index: 0 }),
    sse('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: delta }),
    sse('message_stop', { type: 'message_stop' }),
  );
}

// The control answers every case sends alongside its hostile request; their usage, mapped to our tokens:
//   Anthropic stream: input 100, cache read 5, output 20            -> total 125
//   Chat JSON: prompt 50 of which cached 10, completion 7            -> input 40 + cacheRead 10 + output 7 = 57
//   Responses stream: input 30 (cached 0), output 11                 -> total 41
// One trio: 125 + 57 + 41 = 223 tokens.
const TRIO_TOTAL = 223;
function control(kind: string, n: string): Script {
  if (kind === 'anthropic')
    return anthropicStream(`msg_ctl${n}`, { input_tokens: 100, cache_read_input_tokens: 5, output_tokens: 1 }, { output_tokens: 20 });
  if (kind === 'chat') {
    return json({
      id: `chatcmpl-ctl${n}`,
      object: 'chat.completion',
      model: 'gpt-4o',
      choices: [{ index: 0, message: { role: 'assistant', content: 'fine' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 50, completion_tokens: 7, total_tokens: 57, prompt_tokens_details: { cached_tokens: 10 } },
    });
  }
  const resp = { id: `resp_ctl${n}`, object: 'response', model: 'gpt-5', output: [] as unknown[], usage: null as unknown };
  return stream(
    sse('response.created', { type: 'response.created', response: { ...resp, status: 'in_progress' } }),
    sse('response.output_text.delta', { type: 'response.output_text.delta', delta: 'done' }),
    sse('response.completed', {
      type: 'response.completed',
      response: {
        ...resp,
        status: 'completed',
        usage: {
          input_tokens: 30,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: 11,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: 41,
        },
      },
    }),
  );
}

const scripts = new Map<string, Script>();

async function startUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', async () => {
      const name = String(req.headers['x-case'] ?? '');
      const ctl = /^control-(anthropic|chat|responses)-(\d+)$/.exec(name);
      const s = ctl ? control(ctl[1], ctl[2]) : scripts.get(name);
      if (!s) return void res.writeHead(500).end('no script');
      res.writeHead(s.status ?? 200, { 'content-type': s.type === 'json' ? 'application/json' : 'text/event-stream', ...s.headers });
      for (const c of s.chunks) {
        if (!res.write(c)) await new Promise((r) => res.once('drain', r));
      }
      res.end();
    });
  });
  server.maxConnections = 2000;
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((ok) => (server.closeAllConnections(), server.close(() => ok()))),
  };
}

// ——— clients ———

const PATHS = { anthropic: '/v1/messages', chat: '/v1/chat/completions', responses: '/v1/responses' } as const;
type Kind = keyof typeof PATHS;

function post(
  port: number,
  p: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: p,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const REQUEST = {
  anthropic: { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] },
  chat: { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
  responses: { model: 'gpt-5', input: 'hi' },
};
const headersFor = (kind: Kind, name: string): Record<string, string> => ({
  'x-case': name,
  ...(kind === 'anthropic' ? { 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-hostile' } : { authorization: 'Bearer sk-hostile' }),
});

function health(port: number): Promise<number> {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: HEALTH_PATH, agent: false }, (res) => (res.resume(), resolve(res.statusCode ?? 0)))
      .on('error', () => resolve(0));
  });
}

// ——— the suite ———

describe(
  'hostile upstream responses: the gateway process survives, other clients are unaffected, valid totals hold',
  { timeout: 180_000 },
  () => {
    let up: Awaited<ReturnType<typeof startUpstream>>;
    let gw: GatewayChild;
    let dataDir: string;
    let trios = 0;

    before(async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'unmetered-hostile-gw-'));
      up = await startUpstream();
      gw = await startGatewayChild(['--anthropic-upstream', up.url, '--openai-upstream', up.url], dataDir);
    });
    after(async () => {
      await gw?.stop();
      await up?.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    async function ledgerRecords(): Promise<Interaction[]> {
      const l = await openLedger({ dir: dataDir });
      const r = [...l.records()];
      await l.close();
      return r;
    }

    /** Polls the ledger (bounded) until every id is there; returns those records. */
    async function recorded(ids: string[], ms = 10_000): Promise<Map<string, Interaction>> {
      const end = Date.now() + ms;
      for (;;) {
        const all = new Map((await ledgerRecords()).map((r) => [r.id, r]));
        if (ids.every((id) => all.has(id))) return all;
        if (Date.now() > end) assert.fail(`not in the ledger after ${ms} ms: ${ids.filter((id) => !all.has(id)).join(', ')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }

    /**
     * Sends `hostile` together with a trio of valid requests; asserts the trio's answers and records, that the
     * process is alive and healthy afterwards, and that the valid totals in the ledger are exactly the trios'.
     */
    async function amid<T>(hostile: () => Promise<T>): Promise<T> {
      const n = String(++trios);
      const kinds: Kind[] = ['anthropic', 'chat', 'responses'];
      const [result, ...controls] = await Promise.all([
        hostile(),
        ...kinds.map((k) => post(gw.port, PATHS[k], JSON.stringify(REQUEST[k]), headersFor(k, `control-${k}-${n}`))),
      ]);
      kinds.forEach((k, i) => {
        assert.equal(controls[i].status, 200, `control ${k}`);
        assert.deepEqual(controls[i].body, Buffer.from(control(k, n).chunks.join('')), `control ${k}: bytes intact`);
      });
      const ids = [`anthropic:msg_ctl${n}`, `openai:chatcmpl-ctl${n}`, `openai:resp_ctl${n}`];
      const all = await recorded(ids);
      assert.deepEqual(
        ids.map((id) => totalTokens(all.get(id)!.tokens)),
        [125, 57, 41],
      );
      assert.ok(gw.alive(), `the gateway process exited:\n${gw.stderr().slice(-2000)}`);
      assert.equal(await health(gw.port), 200);
      // The trios' records (ids ctl1, ctl2, …; the bulk test's ctl10000 and up are counted there).
      const valid = [...all.values()].filter((r) => Number(/ctl(\d+)$/.exec(r.id)?.[1] ?? Infinity) < 10_000);
      assert.equal(valid.length, 3 * trios);
      assert.equal(
        valid.reduce((s, r) => s + totalTokens(r.tokens), 0),
        TRIO_TOTAL * trios,
      );
      assert.ok(valid.every((r) => !r.estimated));
      return result;
    }

    /** Sends one scripted hostile answer; asserts the client got exactly the upstream's bytes. */
    async function hostile(kind: Kind, name: string, s: Script): Promise<void> {
      scripts.set(name, s);
      const r = await amid(() => post(gw.port, PATHS[kind], JSON.stringify(REQUEST[kind]), headersFor(kind, name)));
      assert.equal(r.status, s.status ?? 200);
      assert.ok(
        r.body.equals(Buffer.concat(s.chunks.map((c) => Buffer.from(c)))),
        `${name}: the agent gets the upstream's bytes untouched`,
      );
    }

    const diagnosed = (name: string) =>
      assert.ok(gw.stderr().includes(`(${name}`), `diagnostic ${name} reported:\n${gw.stderr().slice(-3000)}`);

    test('Anthropic message_delta whose usage is a string, an array or a number', async () => {
      await hostile('anthropic', 'delta-usage-string', anthropicStream('msg_h1', { input_tokens: 10, output_tokens: 1 }, 'lots'));
      await hostile('anthropic', 'delta-usage-array', anthropicStream('msg_h2', { input_tokens: 10, output_tokens: 1 }, [1, 2]));
      await hostile('anthropic', 'delta-usage-number', anthropicStream('msg_h3', { input_tokens: 10, output_tokens: 1 }, 7));
      const all = await recorded(['anthropic:msg_h1', 'anthropic:msg_h2', 'anthropic:msg_h3']);
      // No final usage: input 10 from message_start; output counted: "one two three" is 3 cl100k tokens.
      for (const id of ['anthropic:msg_h1', 'anthropic:msg_h2', 'anthropic:msg_h3']) {
        assert.deepEqual(all.get(id)!.tokens, { input: 10, output: 3, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 });
        assert.equal(all.get(id)!.estimated, true);
      }
      diagnosed('usage_not_object');
    });

    test('Anthropic JSON body without usage whose content is a string, or holds null', async () => {
      await hostile(
        'anthropic',
        'content-string',
        json({ id: 'msg_h4', type: 'message', model: 'claude-sonnet-4-5', content: 'one two three' }),
      );
      await hostile(
        'anthropic',
        'content-null',
        json({ id: 'msg_h5', type: 'message', model: 'claude-sonnet-4-5', content: [null, { type: 'text', text: 'one two three' }, 5] }),
      );
      await hostile('anthropic', 'content-is-null', json({ id: 'msg_h6', type: 'message', model: 'claude-sonnet-4-5', content: null }));
      const all = await recorded(['anthropic:msg_h4', 'anthropic:msg_h5', 'anthropic:msg_h6']);
      // Input counted from the request: "hi" is 1 token; output "one two three" 3 tokens (none for msg_h6).
      assert.deepEqual(
        [4, 5, 6].map((k) => all.get(`anthropic:msg_h${k}`)!.tokens.input),
        [1, 1, 1],
      );
      assert.deepEqual(
        [4, 5, 6].map((k) => all.get(`anthropic:msg_h${k}`)!.tokens.output),
        [3, 3, 0],
      );
      assert.ok([4, 5, 6].every((k) => all.get(`anthropic:msg_h${k}`)!.estimated));
      diagnosed('unexpected_shape');
    });

    test('Chat Completions with choices [null], a string, or a message that is not an object', async () => {
      await hostile('chat', 'choices-null', json({ id: 'chatcmpl-h7', model: 'gpt-4o', choices: [null] }));
      await hostile('chat', 'choices-string', json({ id: 'chatcmpl-h8', model: 'gpt-4o', choices: 'one two three' }));
      await hostile(
        'chat',
        'choices-message-string',
        json({
          id: 'chatcmpl-h9',
          model: 'gpt-4o',
          choices: [{ message: 'x' }, { message: { content: 'one two three', tool_calls: 'no' } }],
        }),
      );
      await hostile(
        'chat',
        'chunk-choices-null',
        stream(
          `data: ${JSON.stringify({
            id: 'chatcmpl-h10',
            model: 'gpt-4o',
            choices: [null, { delta: null }, { delta: { content: 'one two three', tool_calls: [null, 1] } }],
          })}\n\n`,
          'data: [DONE]\n\n',
        ),
      );
      const all = await recorded(['openai:chatcmpl-h7', 'openai:chatcmpl-h8', 'openai:chatcmpl-h9', 'openai:chatcmpl-h10']);
      // gpt-4o counts with o200k: "hi" 1 token, "one two three" 3 tokens.
      assert.deepEqual(
        [7, 8, 9, 10].map((k) => all.get(`openai:chatcmpl-h${k}`)!.tokens.output),
        [0, 0, 3, 3],
      );
      assert.ok(
        [7, 8, 9, 10].every((k) => all.get(`openai:chatcmpl-h${k}`)!.estimated && all.get(`openai:chatcmpl-h${k}`)!.tokens.input === 1),
      );
    });

    test('Responses output items without arrays, and output that is not an array', async () => {
      await hostile(
        'responses',
        'output-content-string',
        json({
          id: 'resp_h11',
          model: 'gpt-5',
          output: [{ type: 'message', content: 'x' }, { type: 'message' }, null, { type: 'function_call', arguments: 'one two three' }],
        }),
      );
      await hostile('responses', 'output-string', json({ id: 'resp_h12', model: 'gpt-5', output: 'one two three' }));
      await hostile(
        'responses',
        'completed-response-string',
        stream(
          sse('response.created', { type: 'response.created', response: 'resp' }),
          sse('response.completed', { type: 'response.completed', response: { id: 'resp_h13', usage: 'none' } }),
        ),
      );
      const all = await recorded(['openai:resp_h11', 'openai:resp_h12', 'openai:resp_h13']);
      assert.deepEqual(
        [11, 12, 13].map((k) => all.get(`openai:resp_h${k}`)!.tokens.output),
        [3, 0, 0],
      );
      assert.ok([11, 12, 13].every((k) => all.get(`openai:resp_h${k}`)!.estimated));
    });

    test('negative, fractional, string and huge usage counts are never stored as 0: counted by the tokenizer and marked estimated', async () => {
      await hostile(
        'anthropic',
        'usage-negative',
        json({
          id: 'msg_h14',
          model: 'claude-sonnet-4-5',
          content: [{ type: 'text', text: 'one two three' }],
          usage: { input_tokens: -5, output_tokens: 'many', cache_read_input_tokens: 2 },
        }),
      );
      await hostile(
        'chat',
        'usage-huge',
        json({
          id: 'chatcmpl-h15',
          model: 'gpt-4o',
          choices: [{ message: { content: 'one two three' } }],
          usage: { prompt_tokens: 1e308, completion_tokens: 2.5 },
        }),
      );
      await hostile(
        'responses',
        'usage-nan',
        stream(
          sse('response.completed', {
            type: 'response.completed',
            response: { id: 'resp_h16', model: 'gpt-5', usage: { input_tokens: 'NaN', output_tokens: -1 } },
          }),
        ),
      );
      const all = await recorded(['anthropic:msg_h14', 'openai:chatcmpl-h15', 'openai:resp_h16']);
      // msg_h14: cache read 2 is valid and kept; input = tokens("hi") 1 - 2 cached -> 0 (floored); output 3.
      assert.deepEqual(all.get('anthropic:msg_h14')!.tokens, {
        input: 0,
        output: 3,
        cacheRead: 2,
        cacheWrite5m: 0,
        cacheWrite1h: 0,
        reasoning: 0,
      });
      // chatcmpl-h15: input "hi" 1, output "one two three" 3 (o200k).
      assert.deepEqual(all.get('openai:chatcmpl-h15')!.tokens, {
        input: 1,
        output: 3,
        cacheRead: 0,
        cacheWrite5m: 0,
        cacheWrite1h: 0,
        reasoning: 0,
      });
      // resp_h16: input "hi" 1; no text arrived, output 0 counted.
      assert.deepEqual(all.get('openai:resp_h16')!.tokens, {
        input: 1,
        output: 0,
        cacheRead: 0,
        cacheWrite5m: 0,
        cacheWrite1h: 0,
        reasoning: 0,
      });
      assert.ok(['anthropic:msg_h14', 'openai:chatcmpl-h15', 'openai:resp_h16'].every((id) => all.get(id)!.estimated));
      diagnosed('usage_invalid_count');
    });

    test('bodies that are not JSON, not an object, or corrupt gzip reach the agent untouched and record nothing', async () => {
      await hostile('chat', 'body-not-json', { type: 'json', chunks: ['{"id":"chatcmpl-h17", "usage": {'] });
      await hostile('chat', 'body-null', { type: 'json', chunks: ['null'] });
      await hostile('anthropic', 'body-array', { type: 'json', chunks: ['[{"id":"msg_h18"}]'] });
      const gz = zlib.gzipSync(JSON.stringify({ id: 'chatcmpl-h19', choices: [] }));
      await hostile('chat', 'gzip-corrupt', {
        type: 'json',
        headers: { 'content-encoding': 'gzip' },
        chunks: [gz.subarray(0, 10), Buffer.from('not gzip at all')],
      });
      const ids = new Set((await ledgerRecords()).map((r) => r.id));
      assert.ok(!ids.has('openai:chatcmpl-h17') && !ids.has('anthropic:msg_h18') && !ids.has('openai:chatcmpl-h19'));
      diagnosed('response_not_json');
      diagnosed('response_not_object');
    });

    test(
      'a 16 MB SSE line without a newline passes through whole and quickly; usage extraction gives up with a diagnostic',
      { timeout: 30_000 },
      async () => {
        // Before: 46 s (quadratic). The test's 30 s timeout is the only clock here.
        const start = sse('message_start', {
          type: 'message_start',
          message: { id: 'msg_h20', model: 'claude-sonnet-4-5', usage: { input_tokens: 10, output_tokens: 1 } },
        });
        const line = Buffer.alloc(16 << 20, 'x');
        line.write('data: ', 0);
        await hostile('anthropic', 'long-line', {
          type: 'sse',
          chunks: [start, ...Array.from({ length: 256 }, (_, i) => line.subarray(i << 16, (i + 1) << 16))],
        });
        const all = await recorded(['anthropic:msg_h20']);
        assert.equal(all.get('anthropic:msg_h20')!.estimated, true);
        assert.equal(all.get('anthropic:msg_h20')!.tokens.input, 10);
        diagnosed('sse_line_too_long');
      },
    );

    test('300 concurrent valid streams are all recorded, with exact totals (group commit keeps up)', async () => {
      const N = 300;
      await amid(async () => {
        const rs = await Promise.all(
          Array.from({ length: N }, (_, i) =>
            post(gw.port, PATHS.anthropic, JSON.stringify(REQUEST.anthropic), headersFor('anthropic', `control-anthropic-${10_000 + i}`)),
          ),
        );
        assert.ok(rs.every((r) => r.status === 200));
      });
      const ids = Array.from({ length: N }, (_, i) => `anthropic:msg_ctl${10_000 + i}`);
      const all = await recorded(ids);
      // Each is the Anthropic control: 125 tokens; 300 x 125 = 37,500.
      assert.equal(
        ids.reduce((s, id) => s + totalTokens(all.get(id)!.tokens), 0),
        37_500,
      );
    });
  },
);

describe('hostile requests on the local route: body caps and tokenizer work never stall other clients', { timeout: 120_000 }, () => {
  let ollama: FakeOllama;
  let gw: GatewayChild;
  let dataDir: string;
  const countPath = '/v1/messages/count_tokens';
  const antHeaders = { 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-hostile' };

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'unmetered-hostile-local-'));
    ollama = await startFakeOllama({ models: [{ name: 'qwen3-coder:30b', contextLength: 262_144 }] });
    gw = await startGatewayChild(['--route', 'local', '--local-model', 'qwen3-coder:30b', '--ollama-host', ollama.url], dataDir);
  });
  after(async () => {
    await gw?.stop();
    await ollama?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('a 39 MB count_tokens request is refused with 413 in Anthropic’s error shape; the process and others carry on', async () => {
    const big = JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'word '.repeat(8_000_000) }] });
    assert.ok(big.length > 39_000_000);
    const [r, small] = await Promise.all([
      post(gw.port, countPath, big, antHeaders),
      post(
        gw.port,
        countPath,
        JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hello world' }] }),
        antHeaders,
      ),
    ]);
    assert.equal(r.status, 413);
    const e = JSON.parse(r.body.toString('utf8'));
    assert.equal(e.type, 'error');
    assert.equal(e.error.type, 'request_too_large');
    assert.match(e.error.message, /33,554,432 bytes/);
    // "hello world" is 2 tokens (cl100k: "hello", " world").
    assert.deepEqual(JSON.parse(small.body.toString('utf8')), { input_tokens: 2 });
    assert.ok(gw.alive());
    assert.equal(await health(gw.port), 200);
  });

  test('a 1.8 MB count_tokens request is counted exactly while other clients are answered in the meantime', async () => {
    // " hello" is one cl100k token, so is the leading "hello": 300,000 words make 300,000 tokens.
    const words = 300_000;
    const body = JSON.stringify({
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'hello' + ' hello'.repeat(words - 1) }],
    });
    let bigDone = false;
    const big = post(gw.port, countPath, body, antHeaders).then((r) => ((bigDone = true), r));
    // Small requests sent once the big one is under way must not wait for its whole count.
    const answeredBefore: boolean[] = [];
    while (!bigDone && answeredBefore.length < 200) {
      const s = await post(
        gw.port,
        countPath,
        JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hello world' }] }),
        antHeaders,
      );
      assert.equal(s.status, 200);
      answeredBefore.push(!bigDone);
    }
    const r = await big;
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body.toString('utf8')), { input_tokens: words });
    assert.ok(
      answeredBefore.filter(Boolean).length >= 5,
      `small requests answered while the big count ran: ${answeredBefore.filter(Boolean).length}`,
    );
    assert.ok(gw.alive());
  });
});

describe('an impostor on the gateway port is never trusted', { timeout: 30_000 }, () => {
  test('a server answering the health probe with the right JSON (even a copied proof) is reported as another program', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'unmetered-hostile-impostor-'));
    const secret = await loadGatewaySecret(dataDir);
    // The impostor replays a proof it saw once: valid for that nonce only.
    const seenProof = 'a'.repeat(64);
    const impostor = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          service: 'unmetered-gateway',
          version: '9.9.9',
          pid: 1,
          route: 'cloud',
          localModel: null,
          startedAt: new Date().toISOString(),
          proof: seenProof,
        }),
      );
    });
    await new Promise<void>((ok) => impostor.listen(0, '127.0.0.1', ok));
    const port = (impostor.address() as AddressInfo).port;
    const dead = await closedUrl();
    const gateway = createGateway({
      config: () => ({
        route: 'cloud',
        localModel: null,
        anthropicUpstream: dead,
        openaiUpstream: dead,
        ollamaHost: dead,
      }),
      onInteraction: () => {},
      secret,
    });
    const host = hostGateway({ gateway, port, secret, retryMs: 60_000 });
    try {
      const s = await host.ready;
      assert.equal(s.role, 'blocked');
      assert.ok(s.role === 'blocked' && s.error.includes('could not prove it holds the gateway secret'));
    } finally {
      await host.stop();
      await gateway.close();
      await new Promise<void>((ok) => impostor.close(() => ok()));
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
