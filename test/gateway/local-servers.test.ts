import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { createGateway, type Gateway, type GatewayConfig } from '../../src/core/gateway';
import { validateInteraction, type Interaction } from '../../src/core/interaction';
import { fixedClock, memoryLogger } from '../../src/core/ports';
import { startFakeLlamaCpp, startFakeLmStudio, type FakeLlamaCpp, type FakeLmStudio } from '../helpers/fake-local';
import { anthropicHeaders } from './harness';

describe('the local route on LM Studio and llama.cpp', { timeout: 30_000 }, () => {
  let lms: FakeLmStudio;
  let oldLms: FakeLmStudio;
  let lcpp: FakeLlamaCpp;
  let gateway: Gateway;
  let url: string;
  const interactions: Interaction[] = [];
  const config: GatewayConfig = {
    route: 'local',
    localModel: null,
    anthropicUpstream: 'http://127.0.0.1:9',
    openaiUpstream: 'http://127.0.0.1:9',
    ollamaHost: 'http://127.0.0.1:9',
  };
  const models = [
    { key: 'qwen/qwen3-coder-30b', maxContextLength: 262_144, tools: true, loadedContext: 131_072 },
    { key: 'team/coder:cloud', maxContextLength: 131_072, tools: true },
  ];
  before(async () => {
    [lms, oldLms, lcpp] = await Promise.all([
      startFakeLmStudio({ models }),
      startFakeLmStudio({ models, without: ['/v1/messages'] }),
      startFakeLlamaCpp({ model: 'tiny.gguf', nCtx: 8192 }),
    ]);
    gateway = createGateway({
      config: () => config,
      onInteraction: (i) => void interactions.push(i),
      logger: memoryLogger(),
      clock: fixedClock('2026-03-02T10:00:00Z'),
    });
    url = `http://127.0.0.1:${await gateway.listen(0)}`;
  });
  after(async () => {
    await gateway.close();
    await Promise.all([lms.close(), oldLms.close(), lcpp.close()]);
  });
  beforeEach(() => {
    interactions.length = 0;
  });
  const on = (kind: 'lmstudio' | 'llamacpp', host: string, model: string) => {
    config.localServer = { kind, host };
    config.localModel = model;
  };
  const messages = (body: object) =>
    fetch(`${url}/v1/messages?beta=true`, {
      method: 'POST',
      headers: { ...anthropicHeaders, 'x-api-key': 'sk-ant-secret' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 256, messages: [{ role: 'user', content: 'refactor' }], ...body }),
    });

  test('Anthropic Messages, streamed, to LM Studio /v1/messages: model mapped, no credentials, its usage recorded as local', async () => {
    on('lmstudio', lms.url, 'qwen/qwen3-coder-30b');
    const res = await messages({ stream: true });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /event: message_stop/);
    await gateway.settled();
    const up = lms.requests.find((r) => r.path === '/v1/messages')!;
    assert.equal(up.json.model, 'qwen/qwen3-coder-30b');
    assert.equal(up.headers['x-api-key'], undefined, 'the Anthropic key stays with the gateway');
    const i = validateInteraction(interactions[0]);
    assert.deepEqual([i.route, i.model, i.replaces], ['local', 'qwen/qwen3-coder-30b', 'claude-sonnet-4-5']);
    // LMSTUDIO_MESSAGES_USAGE: input 31, output 7, nothing cached.
    assert.deepEqual(i.tokens, { input: 31, output: 7, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 });
  });

  test('a model named like an Ollama cloud model is still local on LM Studio (only Ollama runs :cloud models elsewhere)', async () => {
    on('lmstudio', lms.url, 'team/coder:cloud');
    const c = await new OpenAI({ apiKey: 'sk-x', baseURL: `${url}/v1`, maxRetries: 0 }).chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'x' }],
    });
    assert.equal(c.model, 'team/coder:cloud');
    await gateway.settled();
    assert.equal(interactions[0].route, 'local');
  });

  test('llama.cpp: OpenAI Chat and Anthropic Messages; its cached prompt tokens are recorded as cache reads', async () => {
    on('llamacpp', lcpp.url, 'tiny.gguf');
    const oai = new OpenAI({ apiKey: 'sk-x', baseURL: `${url}/v1`, maxRetries: 0 });
    const stream = await oai.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const _ of stream) void _;
    const r = await messages({});
    assert.equal(r.status, 200);
    await gateway.settled();
    assert.deepEqual(
      lcpp.requests.filter((q) => q.method === 'POST').map((q) => q.path),
      ['/v1/chat/completions', '/v1/messages'],
    );
    // LLAMACPP_CHAT_USAGE: prompt 40 of which 16 cached → 24 new input + 16 cache reads, 6 out;
    // LLAMACPP_MESSAGES_USAGE says the same the Anthropic way (input_tokens 24 net of cache_read_input_tokens 16).
    for (const i of interactions) {
      assert.equal(i.route, 'local');
      assert.deepEqual(i.tokens, { input: 24, output: 6, cacheRead: 16, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 });
    }
    assert.deepEqual(interactions.map((i) => i.replaces).sort(), ['claude-sonnet-4-5', 'gpt-4o']);
  });

  test("an LM Studio without /v1/messages: refused in Anthropic's error shape, naming LM Studio and the release that added it", async () => {
    on('lmstudio', oldLms.url, 'qwen/qwen3-coder-30b');
    const r = await messages({});
    assert.equal(r.status, 404);
    const body = (await r.json()) as { type: string; error: { type: string; message: string } };
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'not_found_error');
    assert.equal(
      body.error.message,
      `LM Studio at ${oldLms.url} does not serve the Anthropic Messages API (LM Studio serves it since 0.4.1:` +
        ` update it), so the Unmetered gateway cannot send this request to the local model. Point the agent at` +
        ` an API it serves, or choose a local model on another server.`,
    );
  });

  test('a model LM Studio does not have: the OpenAI error shape, saying how to get it', async () => {
    on('lmstudio', lms.url, 'qwen/qwen3-coder-480b');
    const r = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [] }),
    });
    assert.equal(r.status, 404);
    const body = (await r.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'model_not_found');
    assert.equal(
      body.error.message,
      `LM Studio at ${lms.url} has no model "qwen/qwen3-coder-480b". Get it with \`lms get qwen/qwen3-coder-480b\` or in the LM Studio app.`,
    );
  });

  test("a request larger than llama-server's slot window is refused with llama-server's way to raise it", async () => {
    on('llamacpp', lcpp.url, 'tiny.gguf');
    await messages({}); // the gateway reads /props in the background after this one
    await gateway.settled();
    const deadline = Date.now() + 5_000;
    while (!lcpp.requests.some((q) => q.path === '/props') && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 20));
    await new Promise((ok) => setTimeout(ok, 50));
    // 8,192 tokens × 6 bytes = 49,152 bytes: a 60,000-character prompt cannot fit.
    const r = await messages({ messages: [{ role: 'user', content: 'x'.repeat(60_000) }] });
    assert.equal(r.status, 400);
    const body = (await r.json()) as { error: { message: string } };
    assert.match(
      body.error.message,
      /tiny\.gguf is loaded with a 8,192-token context window; .*Raise it: restart llama-server with `-c 65536`/,
    );
  });

  test("a local server's refusal (4xx) stays a client error in the API's shape with the server's reason, not a retried 502", async () => {
    on('llamacpp', lcpp.url, 'tiny.gguf');
    // llama-server's answer to a Responses request with previous_response_id (tools/server/server-chat.cpp;
    // the real server says the same in test/real/local-route.test.ts).
    lcpp.next({
      error: {
        status: 400,
        body: { error: { code: 400, message: "llama.cpp does not support 'previous_response_id'.", type: 'invalid_request_error' } },
      },
    });
    const r = await fetch(`${url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5', input: 'and then?', previous_response_id: 'resp_1' }),
    });
    assert.equal(r.status, 400);
    assert.deepEqual(await r.json(), {
      error: {
        message: `llama.cpp at ${lcpp.url} refused the request (400): llama.cpp does not support 'previous_response_id'.`,
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_request',
      },
    });
    await gateway.settled();
    assert.equal(interactions.length, 0);
  });

  test('listing models on the local route lists what the chosen server has', async () => {
    on('llamacpp', lcpp.url, 'tiny.gguf');
    const r = (await (await fetch(`${url}/v1/models`)).json()) as { data: { id: string; owned_by: string }[] };
    assert.deepEqual(
      r.data.map((m) => [m.id, m.owned_by]),
      [['tiny.gguf', 'llamacpp']],
    );
  });
});
