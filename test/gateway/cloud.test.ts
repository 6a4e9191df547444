import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { countTokens } from '../../src/core/tokens';
import { validateInteraction } from '../../src/core/interaction';
import { anthropicHeaders, startHarness, type Harness } from './harness';

let h: Harness;
before(async () => (h = await startHarness()));
after(() => h.close());
beforeEach(() => {
  h.interactions.length = 0;
  h.config.route = 'cloud';
});

const openai = () => new OpenAI({ apiKey: 'sk-openai-test', baseURL: `${h.url}/v1`, maxRetries: 0 });

test('Anthropic stream: bytes pass unchanged, path/query and auth headers reach the vendor, usage becomes disjoint tokens', async () => {
  const before = h.anthropic.requests.length;
  h.anthropic.next({
    id: 'msg_01Stream',
    text: 'Here is the fix for your failing test.',
    usage: {
      input_tokens: 12,
      cache_read_input_tokens: 3000,
      cache_creation_input_tokens: 700,
      cache_creation: { ephemeral_5m_input_tokens: 500, ephemeral_1h_input_tokens: 200 },
      output_tokens: 57,
    },
  });
  const res = await fetch(`${h.url}/v1/messages?beta=true`, {
    method: 'POST',
    headers: { ...anthropicHeaders, authorization: 'Bearer oauth-token', 'anthropic-beta': 'claude-code-20250219' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 1024, stream: true, messages: [{ role: 'user', content: 'fix it' }] }),
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const received = Buffer.from(await res.arrayBuffer());
  await h.gateway.settled();

  const upstream = h.anthropic.requests[before];
  assert.equal(upstream.path, '/v1/messages?beta=true');
  assert.equal(upstream.headers['x-api-key'], 'sk-ant-test-key');
  assert.equal(upstream.headers['authorization'], 'Bearer oauth-token');
  assert.equal(upstream.headers['anthropic-beta'], 'claude-code-20250219');
  assert.equal(upstream.headers['host'], new URL(h.anthropic.url).host);
  assert.ok(received.equals(h.anthropic.responses[before]), 'the client got exactly the vendor bytes');

  assert.equal(h.interactions.length, 1);
  const i = validateInteraction(h.interactions[0]);
  assert.equal(i.id, 'anthropic:msg_01Stream');
  assert.equal(i.agent, 'claude-code');
  assert.equal(i.source, 'gateway');
  assert.equal(i.route, 'cloud');
  assert.equal(i.model, 'claude-sonnet-4-5');
  assert.equal(i.replaces, null);
  assert.deepEqual(i.tokens, { input: 12, output: 57, cacheRead: 3000, cacheWrite5m: 500, cacheWrite1h: 200, reasoning: 0 });
  assert.equal(i.estimated, false);
  assert.equal(i.costNanos, null, 'pricing is the composition layer’s job');
  assert.ok(!JSON.stringify(i).includes('sk-ant') && !JSON.stringify(i).includes('oauth-token'), 'no credential in the record');
});

test('Anthropic JSON response: usage from the body, model as served', async () => {
  h.anthropic.next({
    id: 'msg_01Json',
    model: 'claude-haiku-4-5-20251001',
    usage: { input_tokens: 40, output_tokens: 9, cache_creation_input_tokens: 100 },
  });
  const res = await fetch(`${h.url}/v1/messages`, {
    method: 'POST',
    headers: anthropicHeaders,
    body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }),
  });
  const body = await res.json();
  assert.equal(body.id, 'msg_01Json');
  await h.gateway.settled();
  const i = h.interactions[0];
  assert.equal(i.model, 'claude-haiku-4-5-20251001');
  assert.deepEqual(i.tokens, { input: 40, output: 9, cacheRead: 0, cacheWrite5m: 100, cacheWrite1h: 0, reasoning: 0 });
  assert.equal(i.estimated, false);
});

test('Anthropic stream: a message_delta that restates input and cache counts wins over message_start', async () => {
  // Newer API versions repeat the (final) input-side counts in message_delta.
  const { observeResponse } = await import('../../src/core/gateway');
  const o = observeResponse('anthropic', true);
  o.push(
    Buffer.from(
      'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_x","model":"claude-opus-4-1",' +
        '"usage":{"input_tokens":5,"cache_read_input_tokens":0,"output_tokens":1}}}\n\n',
    ),
  );
  o.push(
    Buffer.from(
      'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},' +
        '"usage":{"input_tokens":7,"cache_read_input_tokens":90,"output_tokens":30}}\n\n',
    ),
  );
  o.end();
  assert.deepEqual(o.observation.reported, { input: 7, output: 30, cacheRead: 90, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 });
  assert.equal(o.observation.reportedFinal, true);
});

test('OpenAI chat stream with include_usage (real openai client): cached and reasoning mapped to disjoint tokens', async () => {
  h.openai.next({
    id: 'chatcmpl-Abc',
    text: 'Sure, here you go.',
    usage: {
      prompt_tokens: 1200,
      completion_tokens: 300,
      total_tokens: 1500,
      prompt_tokens_details: { cached_tokens: 1000 },
      completion_tokens_details: { reasoning_tokens: 120 },
    },
  });
  const stream = await openai().chat.completions.create({
    model: 'gpt-5-mini',
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'hello' }],
  });
  let text = '';
  let usage: unknown = null;
  for await (const c of stream) {
    text += c.choices[0]?.delta?.content ?? '';
    if (c.usage) usage = c.usage;
  }
  assert.equal(text, 'Sure, here you go.');
  assert.ok(usage, 'the client still gets the usage chunk');
  await h.gateway.settled();
  const i = h.interactions[0];
  assert.equal(i.id, 'openai:chatcmpl-Abc');
  assert.equal(i.agent, 'gateway');
  assert.deepEqual(i.tokens, { input: 200, output: 300, cacheRead: 1000, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 120 });
  assert.equal(i.estimated, false);
});

test('OpenAI chat stream: bytes pass unchanged', async () => {
  const before = h.openai.requests.length;
  h.openai.next({ text: 'one two three four five six seven' });
  const res = await fetch(`${h.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-x' },
    body: JSON.stringify({
      model: 'gpt-4o',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'count' }],
    }),
  });
  const received = Buffer.from(await res.arrayBuffer());
  assert.ok(received.equals(h.openai.responses[before]));
  assert.equal(h.openai.requests[before].headers.authorization, 'Bearer sk-x');
  await h.gateway.settled();
});

test('OpenAI chat stream without include_usage: tokens counted with tiktoken and marked estimated', async () => {
  const reply = 'The quick brown fox jumps over the lazy dog.';
  h.openai.next({ id: 'chatcmpl-NoUsage', text: reply });
  const stream = await openai().chat.completions.create({
    model: 'gpt-4o',
    stream: true,
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Tell me about foxes.' },
    ],
  });
  for await (const _ of stream) void _;
  await h.gateway.settled();
  const i = h.interactions[0];
  assert.equal(i.id, 'openai:chatcmpl-NoUsage');
  assert.equal(i.estimated, true);
  assert.equal(i.tokens.output, await countTokens(reply, 'gpt-4o'));
  assert.equal(i.tokens.input, await countTokens('Be brief.\nTell me about foxes.', 'gpt-4o'));
});

test('OpenAI chat JSON response (real openai client)', async () => {
  h.openai.next({
    id: 'chatcmpl-Json',
    usage: { prompt_tokens: 50, completion_tokens: 5, total_tokens: 55, prompt_tokens_details: { cached_tokens: 20 } },
  });
  const r = await openai().chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'x' }] });
  assert.equal(r.id, 'chatcmpl-Json');
  await h.gateway.settled();
  assert.deepEqual(h.interactions[0].tokens, { input: 30, output: 5, cacheRead: 20, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 });
});

test('Responses stream from Codex (real openai client): response.completed usage, codex agent', async () => {
  h.openai.next({
    id: 'resp_Codex1',
    text: 'Patched src/app.ts',
    usage: {
      input_tokens: 9000,
      input_tokens_details: { cached_tokens: 8000 },
      output_tokens: 400,
      output_tokens_details: { reasoning_tokens: 256 },
      total_tokens: 9400,
    },
  });
  const client = new OpenAI({
    apiKey: 'sk-x',
    baseURL: `${h.url}/v1`,
    maxRetries: 0,
    defaultHeaders: { originator: 'codex_cli_rs', 'user-agent': 'codex_cli_rs/0.46.0' },
  });
  const stream = await client.responses.create({ model: 'gpt-5-codex', input: 'fix the bug', stream: true });
  let done = false;
  for await (const e of stream) if (e.type === 'response.completed') done = true;
  assert.ok(done);
  await h.gateway.settled();
  const i = h.interactions[0];
  assert.equal(i.id, 'openai:resp_Codex1');
  assert.equal(i.agent, 'codex');
  assert.equal(i.model, 'gpt-5-codex');
  assert.deepEqual(i.tokens, { input: 1000, output: 400, cacheRead: 8000, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 256 });
});

test('Responses JSON response (real openai client)', async () => {
  h.openai.next({
    id: 'resp_Json',
    usage: {
      input_tokens: 70,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 7,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 77,
    },
  });
  const r = await openai().responses.create({ model: 'gpt-5', input: 'hi' });
  assert.equal(r.id, 'resp_Json');
  await h.gateway.settled();
  assert.equal(h.interactions[0].id, 'openai:resp_Json');
  assert.deepEqual(h.interactions[0].tokens, { input: 70, output: 7, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 });
});

test('vendor error bodies and statuses are forwarded unchanged and nothing is recorded', async () => {
  const body = { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' }, request_id: 'req_011' };
  h.anthropic.next({ error: { status: 529, body, headers: { 'retry-after': '7', 'x-should-retry': 'true' } } });
  const res = await fetch(`${h.url}/v1/messages?beta=true`, {
    method: 'POST',
    headers: anthropicHeaders,
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, stream: true, messages: [] }),
  });
  assert.equal(res.status, 529);
  assert.equal(res.headers.get('retry-after'), '7');
  assert.equal(res.headers.get('x-should-retry'), 'true');
  assert.equal(await res.text(), JSON.stringify(body));

  h.openai.next({
    error: {
      status: 429,
      body: { error: { message: 'Rate limit reached for gpt-4o', type: 'requests', param: null, code: 'rate_limit_exceeded' } },
    },
  });
  await assert.rejects(
    openai().chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    (e: any) => e.status === 429 && e.code === 'rate_limit_exceeded',
  );
  await h.gateway.settled();
  assert.equal(h.interactions.length, 0);
});

test('count_tokens and /v1/models are forwarded on the cloud route and recorded as nothing', async () => {
  const r = await fetch(`${h.url}/v1/messages/count_tokens?beta=true`, {
    method: 'POST',
    headers: anthropicHeaders,
    body: JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'x'.repeat(400) }] }),
  });
  assert.equal(r.status, 200);
  assert.ok((await r.json()).input_tokens > 0);
  const m = await (await fetch(`${h.url}/v1/models`, { headers: anthropicHeaders })).json();
  assert.equal(m.data[0].type, 'model', 'Anthropic clients get the Anthropic list');
  const list = await openai().models.list();
  assert.equal(list.data[0].id, 'gpt-4o', 'OpenAI clients get the OpenAI list');
  await h.gateway.settled();
  assert.equal(h.interactions.length, 0);
});

test('HEAD / (Claude Code start-up probe) answers 200', async () => {
  const r = await fetch(`${h.url}/`, { method: 'HEAD' });
  assert.equal(r.status, 200);
});
