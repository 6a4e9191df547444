import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { validateInteraction } from '../../src/core/interaction';
import { anthropicHeaders, freePort, startHarness, type Harness } from './harness';

let h: Harness;
before(async () => (h = await startHarness()));
after(() => h.close());
beforeEach(() => {
  h.interactions.length = 0;
  h.config.route = 'local';
  h.config.localModel = 'qwen3-coder:30b';
  h.config.ollamaHost = h.ollama.url;
  h.ollama.models = [{ name: 'qwen3-coder:30b', family: 'qwen3moe', contextLength: 262_144, capabilities: ['completion', 'tools'] }];
});

const openai = () => new OpenAI({ apiKey: 'sk-openai-secret', baseURL: `${h.url}/v1`, maxRetries: 0 });

test('Anthropic request on the local route goes to Ollama /v1/messages with the model mapped, without credentials, and records what it replaces', async () => {
  const before = h.ollama.requests.length;
  h.ollama.next({ id: 'msg_local1', text: 'local answer', usage: { input_tokens: 310, output_tokens: 42 } });
  const res = await fetch(`${h.url}/v1/messages?beta=true`, {
    method: 'POST',
    headers: { ...anthropicHeaders, authorization: 'Bearer oauth-secret' },
    body: JSON.stringify({
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      stream: true,
      system: 'You are Claude Code.',
      messages: [{ role: 'user', content: 'refactor' }],
    }),
  });
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.match(text, /event: message_stop/);
  await h.gateway.settled();
  const up = h.ollama.requests.slice(before).find((r) => r.path === '/v1/messages')!;
  assert.equal(up.json.model, 'qwen3-coder:30b');
  assert.equal(up.json.system, 'You are Claude Code.', 'the rest of the request is unchanged');
  assert.equal(up.headers['x-api-key'], undefined, 'the Anthropic key is not sent to Ollama');
  assert.equal(up.headers.authorization, undefined);
  const i = validateInteraction(h.interactions[0]);
  assert.equal(i.id, 'anthropic:msg_local1');
  assert.equal(i.route, 'local');
  assert.equal(i.model, 'qwen3-coder:30b');
  assert.equal(i.replaces, 'claude-sonnet-4-5');
  assert.deepEqual(i.tokens, { input: 310, output: 42, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 });
  assert.equal(i.estimated, false);
});

test('OpenAI chat and Responses on the local route (real openai client) map the model and record replaces', async () => {
  const before = h.ollama.requests.length;
  h.ollama.next({ id: 'chatcmpl-402' }, { id: 'resp_ollama9' });
  const c = await openai().chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] });
  assert.equal(c.model, 'qwen3-coder:30b');
  const stream = await openai().responses.create({ model: 'gpt-5-codex', input: 'y', stream: true });
  for await (const _ of stream) void _;
  await h.gateway.settled();
  const sent = h.ollama.requests.slice(before).filter((r) => r.path.startsWith('/v1/'));
  assert.deepEqual(
    sent.map((r) => [r.path, r.json.model]),
    [
      ['/v1/chat/completions', 'qwen3-coder:30b'],
      ['/v1/responses', 'qwen3-coder:30b'],
    ],
  );
  assert.deepEqual(
    h.interactions.map((i) => [i.id, i.route, i.model, i.replaces, i.tokens.input, i.tokens.output]),
    [
      ['openai:chatcmpl-402', 'local', 'qwen3-coder:30b', 'gpt-4o', 26, 8],
      ['openai:resp_ollama9', 'local', 'qwen3-coder:30b', 'gpt-5-codex', 26, 8],
    ],
  );
});

test('switching the route applies to the next request, with nothing restarted', async () => {
  h.config.route = 'cloud';
  await openai().chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'a' }] });
  h.config.route = 'local';
  await openai().chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'b' }] });
  h.config.route = 'cloud';
  await openai().chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'c' }] });
  await h.gateway.settled();
  assert.deepEqual(
    h.interactions.map((i) => [i.route, i.model]),
    [
      ['cloud', 'gpt-4o'],
      ['local', 'qwen3-coder:30b'],
      ['cloud', 'gpt-4o'],
    ],
  );
});

test('local model not pulled: the client is told to pull it, in its own error shape', async () => {
  h.config.localModel = 'deepseek-r1:7b';
  const a = await fetch(`${h.url}/v1/messages`, {
    method: 'POST',
    headers: anthropicHeaders,
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
  });
  assert.equal(a.status, 404);
  const ab = await a.json();
  assert.equal(ab.type, 'error');
  assert.equal(ab.error.type, 'not_found_error');
  assert.match(ab.error.message, /ollama pull deepseek-r1:7b/);
  await assert.rejects(
    openai().chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    (e: any) =>
      e.status === 404 && e.code === 'model_not_found' && /ollama pull deepseek-r1:7b/.test(e.message) && /Pull a model/.test(e.message),
  );
  await h.gateway.settled();
  assert.equal(h.interactions.length, 0);
});

test('Ollama not running: a clear message with how to start it, in each API shape', async () => {
  const host = `http://127.0.0.1:${await freePort()}`;
  h.config.ollamaHost = host;
  const a = await fetch(`${h.url}/v1/messages`, {
    method: 'POST',
    headers: anthropicHeaders,
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [] }),
  });
  assert.equal(a.status, 502);
  const ab = await a.json();
  assert.deepEqual(Object.keys(ab), ['type', 'error']);
  assert.equal(ab.error.type, 'api_error');
  assert.ok(ab.error.message.includes(`Ollama is not running at ${host}`) && ab.error.message.includes('ollama serve'));
  const r = await fetch(`${h.url}/v1/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-5', input: 'x' }),
  });
  const rb = await r.json();
  assert.equal(rb.error.code, 'ollama_unreachable');
  assert.ok(rb.error.message.includes(`Ollama is not running at ${host}`));
  assert.equal(typeof rb.error.type, 'string');
});

test('no local model chosen: says where to pick one', async () => {
  h.config.localModel = null;
  await assert.rejects(
    openai().chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    (e: any) => e.status === 400 && e.code === 'no_local_model' && /unmetered\.localModel/.test(e.message),
  );
});

test('a request larger than the loaded context window is refused with how to raise it', async () => {
  h.ollama.models = [{ name: 'qwen3-coder:30b', family: 'qwen3moe', contextLength: 262_144, loadedContext: 4096 }];
  // The first request after the cached window expired lets the gateway learn it in the background.
  h.clock.advance(60_000);
  const before = h.ollama.requests.length;
  await openai().chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'warm up' }] });
  for (let k = 0; k < 50 && !h.ollama.requests.slice(before).some((r) => r.path === '/api/ps'); k++)
    await new Promise((ok) => setTimeout(ok, 10));
  await new Promise((ok) => setTimeout(ok, 20));
  const big = 'lorem ipsum dolor sit amet '.repeat(4000); // ~108 kB, far beyond 4,096 tokens
  await assert.rejects(
    openai().chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: big }] }),
    (e: any) =>
      e.status === 400 &&
      e.code === 'context_length_exceeded' &&
      /4,096-token/.test(e.message) &&
      /OLLAMA_CONTEXT_LENGTH=65536/.test(e.message),
  );
  // A request that fits still goes through.
  const ok = await openai().chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'small' }] });
  assert.equal(ok.model, 'qwen3-coder:30b');
});

test('count_tokens on the local route is answered by the tokenizer; /v1/models lists the installed models', async () => {
  const r = await fetch(`${h.url}/v1/messages/count_tokens`, {
    method: 'POST',
    headers: anthropicHeaders,
    body: JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hello world, hello world' }] }),
  });
  assert.equal(r.status, 200);
  const n = (await r.json()).input_tokens;
  assert.ok(Number.isInteger(n) && n > 0 && n < 20, String(n));
  const list = await openai().models.list();
  assert.deepEqual(
    list.data.map((m) => m.id),
    ['qwen3-coder:30b'],
  );
  const am = await (await fetch(`${h.url}/v1/models`, { headers: anthropicHeaders })).json();
  assert.equal(am.data[0].type, 'model');
  assert.equal(am.data[0].id, 'qwen3-coder:30b');
});
