import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { countTokens } from '../../src/core/tokens';
import { anthropicHeaders, rawRequest, startHarness, type Harness } from './harness';
import { closedUrl } from '../helpers/net';

let h: Harness;
before(async () => (h = await startHarness()));
after(() => h.close());
beforeEach(() => {
  h.interactions.length = 0;
  h.config.route = 'cloud';
  h.config.anthropicUpstream = h.anthropic.url;
});

test('a request with a web page Origin is refused with 403 in the API’s shape and never forwarded', async () => {
  const before = h.anthropic.requests.length + h.openai.requests.length;
  const a = await rawRequest(h.port, {
    path: '/v1/messages',
    headers: { ...anthropicHeaders, origin: 'https://evil.example', host: `127.0.0.1:${h.port}` },
    body: '{"model":"claude-sonnet-4-5"}',
  });
  assert.equal(a.status, 403);
  const ab = JSON.parse(a.body);
  assert.equal(ab.type, 'error');
  assert.equal(ab.error.type, 'permission_error');
  assert.match(ab.error.message, /does not serve web pages/);
  const o = await rawRequest(h.port, {
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json', origin: 'null', host: `localhost:${h.port}` },
    body: '{}',
  });
  assert.equal(o.status, 403);
  assert.equal(JSON.parse(o.body).error.code, 'forbidden');
  const s = await rawRequest(h.port, {
    method: 'GET',
    path: '/v1/models',
    headers: { 'sec-fetch-site': 'cross-site', host: `127.0.0.1:${h.port}` },
  });
  assert.equal(s.status, 403);
  assert.equal(h.anthropic.requests.length + h.openai.requests.length, before);
});

test('a Host that is not loopback (DNS rebinding) is refused; loopback names are served', async () => {
  const bad = await rawRequest(h.port, {
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json', host: `attacker.example:${h.port}` },
    body: JSON.stringify({ model: 'gpt-4o', messages: [] }),
  });
  assert.equal(bad.status, 403);
  assert.match(JSON.parse(bad.body).error.message, /only answers requests addressed to 127\.0\.0\.1 or localhost/);
  for (const host of [`127.0.0.1:${h.port}`, `localhost:${h.port}`, `[::1]:${h.port}`]) {
    const ok = await rawRequest(h.port, { method: 'GET', path: '/unmetered/health', headers: { host } });
    assert.equal(ok.status, 200, host);
  }
});

test('the gateway listens on 127.0.0.1 only', () => {
  const addr = h.gateway.server.address() as AddressInfo;
  assert.equal(addr.address, '127.0.0.1');
});

test('a WebSocket attempt (newer Codex) gets 404 so the client falls back to HTTP', async () => {
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port: h.port,
      path: '/v1/responses',
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      },
    });
    req.on('response', (res) => resolve(res.statusCode ?? 0));
    req.on('upgrade', () => reject(new Error('upgraded')));
    req.on('error', reject);
    req.end();
  });
  assert.equal(status, 404);
});

test('50 concurrent streams all arrive intact and become 50 distinct interactions', async () => {
  h.openai.defaultReply = { text: 'alpha beta gamma delta epsilon zeta eta theta', delayMs: 2 };
  const client = new OpenAI({ apiKey: 'sk-x', baseURL: `${h.url}/v1`, maxRetries: 0 });
  try {
    const texts = await Promise.all(
      Array.from({ length: 50 }, async (_, k) => {
        const s = await client.chat.completions.create({
          model: 'gpt-4o-mini',
          stream: true,
          stream_options: { include_usage: true },
          messages: [{ role: 'user', content: `q${k}` }],
        });
        let t = '';
        for await (const c of s) t += c.choices[0]?.delta?.content ?? '';
        return t;
      }),
    );
    assert.ok(texts.every((t) => t === 'alpha beta gamma delta epsilon zeta eta theta'));
    await h.gateway.settled();
    assert.equal(h.interactions.length, 50);
    assert.equal(new Set(h.interactions.map((i) => i.id)).size, 50);
    assert.ok(h.interactions.every((i) => !i.estimated && i.tokens.output === 9));
  } finally {
    h.openai.defaultReply = {};
  }
});

test('a client that disconnects mid-stream: the upstream request is aborted and the partial usage recorded as estimated', async () => {
  const before = h.anthropic.requests.length;
  h.anthropic.next({
    id: 'msg_cut',
    text: 'one two three four five six seven eight nine ten',
    usage: { input_tokens: 900, cache_read_input_tokens: 100, output_tokens: 200 },
    hangAfterEvents: 8,
  });
  const ac = new AbortController();
  const res = await fetch(`${h.url}/v1/messages?beta=true`, {
    method: 'POST',
    headers: anthropicHeaders,
    signal: ac.signal,
    body: JSON.stringify({ model: 'claude-opus-4-1', max_tokens: 4096, stream: true, messages: [{ role: 'user', content: 'go' }] }),
  });
  const reader = res.body!.getReader();
  let got = '';
  // Bounded by the stream: it ends (a failure here) or brings the word; the vendor then hangs, as scripted.
  while (!got.includes('"text":"five ')) {
    const { done, value } = await reader.read();
    assert.ok(!done, `the stream ended before "five" arrived: ${got}`);
    got += new TextDecoder().decode(value);
  }
  ac.abort();
  const upstream = await h.anthropic.settled(before);
  assert.equal(upstream.aborted, true, 'the vendor saw the request go away');
  await h.gateway.settled();
  assert.equal(h.interactions.length, 1);
  const i = h.interactions[0];
  assert.equal(i.id, 'anthropic:msg_cut');
  assert.equal(i.estimated, true);
  assert.equal(i.tokens.input, 900, 'input as reported in message_start');
  assert.equal(i.tokens.cacheRead, 100);
  assert.equal(
    i.tokens.output,
    await countTokens('one two three four five ', 'claude-opus-4-1'),
    'output counted from the text that arrived',
  );
});

test('an upstream that dies mid-stream: the client gets what arrived, then a broken stream (not a clean end), and the partial usage is recorded', async () => {
  const before = h.openai.requests.length;
  h.openai.next({ id: 'chatcmpl-dies', text: 'a b c d e f g h', dieAfterEvents: 4 });
  const res = await fetch(`${h.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'gpt-4o',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'letters' }],
    }),
  });
  const reader = res.body!.getReader();
  const parts: Uint8Array[] = [];
  await assert.rejects(async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      parts.push(value);
    }
  }, /terminated/);
  assert.ok(Buffer.concat(parts).equals(h.openai.responses[before]), 'every byte the vendor sent before dying arrived');
  // The real client reports the failure rather than a short answer.
  h.openai.next({ text: 'a b c d e f g h', dieAfterEvents: 4 });
  const client = new OpenAI({ apiKey: 'sk-x', baseURL: `${h.url}/v1`, maxRetries: 0 });
  const s = await client.chat.completions.create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'letters' }] });
  await assert.rejects(async () => {
    for await (const _ of s) void _;
  });
  await h.gateway.settled();
  const i = h.interactions[0];
  assert.equal(i.id, 'openai:chatcmpl-dies');
  assert.equal(i.estimated, true);
  assert.equal(i.tokens.output, await countTokens('a b c ', 'gpt-4o'));
  assert.equal(i.tokens.input, await countTokens('letters', 'gpt-4o'));
});

test('an unreachable cloud upstream is reported in the API’s shape with what to check', async () => {
  const dead = net.createServer();
  await new Promise<void>((ok) => dead.listen(0, '127.0.0.1', ok));
  const port = (dead.address() as AddressInfo).port;
  await new Promise<void>((ok) => dead.close(() => ok()));
  h.config.anthropicUpstream = `http://127.0.0.1:${port}`;
  const r = await fetch(`${h.url}/v1/messages`, {
    method: 'POST',
    headers: anthropicHeaders,
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [] }),
  });
  assert.equal(r.status, 502);
  const b = await r.json();
  assert.equal(b.error.type, 'api_error');
  assert.match(b.error.message, /could not reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\).*unmetered\.gateway\.anthropicUpstream/);
});

test('a gzip-compressed JSON answer passes unchanged to the client and its usage is still read', async () => {
  const body = JSON.stringify({
    id: 'chatcmpl-gz',
    object: 'chat.completion',
    model: 'gpt-4o',
    choices: [],
    usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 },
  });
  const gz = zlib.gzipSync(body);
  const up = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': gz.length });
      res.end(gz);
    });
  });
  await new Promise<void>((ok) => up.listen(0, '127.0.0.1', ok));
  h.config.openaiUpstream = `http://127.0.0.1:${(up.address() as AddressInfo).port}`;
  try {
    const raw = await new Promise<Buffer>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: h.port,
          method: 'POST',
          path: '/v1/chat/completions',
          headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip' },
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => resolve(Buffer.concat(parts)));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ model: 'gpt-4o', messages: [] }));
    });
    assert.ok(raw.equals(gz), 'compressed bytes unchanged');
    await h.gateway.settled();
    assert.equal(h.interactions[0].id, 'openai:chatcmpl-gz');
    assert.deepEqual([h.interactions[0].tokens.input, h.interactions[0].tokens.output], [11, 4]);
  } finally {
    h.config.openaiUpstream = h.openai.url;
    await new Promise<void>((ok) => up.close(() => ok()));
  }
});

test('no header or body reaches the log', async () => {
  h.logger.lines.length = 0;
  h.config.anthropicUpstream = await closedUrl();
  await fetch(`${h.url}/v1/messages`, {
    method: 'POST',
    headers: { ...anthropicHeaders, 'x-api-key': 'sk-ant-NEVER-LOG' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'SECRET PROMPT' }] }),
  });
  assert.ok(h.logger.lines.length > 0, 'the failure was logged');
  assert.ok(h.logger.lines.every((l) => !l.includes('sk-ant-NEVER-LOG') && !l.includes('SECRET PROMPT')));
});

test('a client that leaves in the middle of sending its request is forgotten, not kept in flight', async () => {
  const before = h.anthropic.requests.length;
  await new Promise<void>((resolve) => {
    const req = http.request({
      host: '127.0.0.1',
      port: h.port,
      method: 'POST',
      path: '/v1/messages',
      headers: { ...anthropicHeaders, 'content-length': '100000' },
    });
    req.on('error', () => resolve());
    req.write('{"model":"claude-sonnet-4-5","messages":[');
    setTimeout(() => {
      req.destroy();
      resolve();
    }, 30);
  });
  await h.gateway.settled();
  assert.equal(h.anthropic.requests.length, before, 'nothing was forwarded');
  assert.equal(h.interactions.length, 0);
});
