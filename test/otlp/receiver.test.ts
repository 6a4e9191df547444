/**
 * The OTLP/HTTP receiver on the gateway's port, driven by the official OpenTelemetry JavaScript SDK exporters
 * (protobuf and JSON, gzip and not), with events shaped as each vendor's source writes them
 * (test/otlp/fixtures/README.md cites the files). Expected token splits are worked out by hand.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { decodeResponse, decodeStatus } from '../../src/core/otlp';
import net from 'node:net';
import { tokens } from '../../src/core/interaction';
import { post, sendLogs, sendTokenUsageMetric, startRig, tokenUsageMeter, type Rig } from './helpers';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const SECRET = 'PROMPT-TEXT-7f3a please refactor my secret module';

describe('OTLP receiver: vendor events via the SDK exporters', { timeout: 60_000 }, () => {
  let rig: Rig;
  before(async () => (rig = await startRig()));
  after(() => rig.close());
  const take = () => rig.received.splice(0);

  test('Claude Code api_request (protobuf, gzip): one interaction, cache writes as 5-minute, numbers sent as strings read', async () => {
    await sendLogs(rig.port, 'protobuf', true, { 'service.name': 'claude-code', 'service.version': '2.1.30' }, [
      // A user_prompt with its text (OTEL_LOG_USER_PROMPTS=1) is no request: nothing recorded, nothing kept.
      {
        body: 'claude_code.user_prompt',
        attributes: { 'event.name': 'user_prompt', 'session.id': 's-1', prompt: SECRET, prompt_length: 52 },
      },
      {
        body: 'claude_code.api_request',
        attributes: {
          'event.name': 'api_request',
          'event.timestamp': '2026-11-30T10:00:01.500Z',
          'event.sequence': 7,
          'session.id': 's-1',
          model: 'claude-sonnet-4-5-20250929',
          input_tokens: '1200',
          output_tokens: 450,
          cache_read_tokens: 30000,
          cache_creation_tokens: 2000,
          cost_usd: 0.0237,
          duration_ms: 5321,
          request_id: 'req_011CVabc',
        },
      },
    ]);
    const got = take();
    assert.equal(got.length, 1);
    const i = got[0].interaction;
    assert.equal(i.id, 'claude-code:otel:req_011CVabc');
    assert.equal(i.agent, 'claude-code');
    assert.equal(i.source, 'otel');
    assert.equal(i.model, 'claude-sonnet-4-5-20250929');
    assert.equal(i.at, '2026-11-30T10:00:01.500Z');
    assert.deepEqual(i.tokens, { input: 1200, output: 450, cacheRead: 30000, cacheWrite5m: 2000, cacheWrite1h: 0, reasoning: 0 });
    assert.equal(got[0].mayBeElsewhere, true);
    assert.ok(!JSON.stringify(got).includes('PROMPT-TEXT'));
  });

  test('Claude Code fast mode is marked; without request_id the id is session + event.sequence', async () => {
    await sendLogs(rig.port, 'json', false, { 'service.name': 'claude-code' }, [
      {
        body: 'claude_code.api_request',
        attributes: {
          'event.name': 'api_request',
          'session.id': 's-2',
          'event.sequence': 3,
          model: 'claude-opus-4-6',
          input_tokens: 10,
          output_tokens: 20,
          speed: 'fast',
        },
      },
    ]);
    const [o] = take();
    assert.equal(o.interaction.id, 'claude-code:otel:s-2:3');
    assert.equal(o.interaction.fast, true);
  });

  test('Codex response.completed (JSON, gzip): input less cached, reasoning inside output, tool_token_count (the total) ignored', async () => {
    await sendLogs(rig.port, 'json', true, { 'service.name': 'codex_cli_rs' }, [
      { attributes: { 'event.name': 'codex.user_prompt', prompt: SECRET, 'conversation.id': 'th-1' } },
      { attributes: { 'event.name': 'codex.sse_event', 'event.kind': 'response.output_item.done', 'conversation.id': 'th-1' } },
      {
        attributes: {
          'event.name': 'codex.sse_event',
          'event.kind': 'response.completed',
          'event.timestamp': '2026-11-30T10:02:00.000Z',
          'conversation.id': 'th-1',
          model: 'gpt-5.1-codex',
          slug: 'gpt-5.1-codex',
          // codex formats these two with Display (strings); the Options arrive as integers.
          input_token_count: '12000',
          output_token_count: '900',
          cached_token_count: 8000,
          reasoning_token_count: 300,
          tool_token_count: '12900',
        },
      },
    ]);
    const got = take();
    assert.equal(got.length, 1);
    // input 12000 - cached 8000 = 4000; output 900 of which reasoning 300.
    assert.deepEqual(got[0].interaction.tokens, {
      input: 4000,
      output: 900,
      cacheRead: 8000,
      cacheWrite5m: 0,
      cacheWrite1h: 0,
      reasoning: 300,
    });
    assert.equal(got[0].interaction.agent, 'codex');
    assert.equal(got[0].interaction.model, 'gpt-5.1-codex');
  });

  test('Gemini CLI api_response (protobuf): split as the log adapter; its own gen_ai inference event and response_text not read', async () => {
    await sendLogs(rig.port, 'protobuf', false, { 'service.name': 'gemini-cli' }, [
      {
        attributes: {
          'event.name': 'gemini_cli.api_response',
          'event.timestamp': '2026-11-30T10:03:00.000Z',
          'session.id': 'g-1',
          prompt_id: 'g-1########0',
          model: 'gemini-2.5-pro',
          status_code: 200,
          input_token_count: 5000,
          output_token_count: 200,
          cached_content_token_count: 1000,
          thoughts_token_count: 150,
          tool_token_count: 50,
          total_token_count: 5400,
          response_text: SECRET,
        },
      },
      {
        attributes: {
          'event.name': 'gen_ai.client.inference.operation.details',
          'gen_ai.request.model': 'gemini-2.5-pro',
          'gen_ai.usage.input_tokens': 5000,
          'gen_ai.usage.output_tokens': 200,
          'gen_ai.output.messages': SECRET,
        },
      },
    ]);
    const got = take();
    assert.equal(got.length, 1, 'the gen_ai copy of the same request is not a second interaction');
    // input 5000 - cached 1000 + tool 50 = 4050; output 200 + thoughts 150 = 350, reasoning 150.
    assert.deepEqual(got[0].interaction.tokens, {
      input: 4050,
      output: 350,
      cacheRead: 1000,
      cacheWrite5m: 0,
      cacheWrite1h: 0,
      reasoning: 150,
    });
    assert.equal(got[0].interaction.agent, 'gemini-cli');
    assert.ok(!JSON.stringify(got).includes('PROMPT-TEXT'));
  });

  test('Copilot Chat inference event (JSON, gzip): keyed by gen_ai.response.id, resolved model, recorded at once', async () => {
    await sendLogs(rig.port, 'json', true, { 'service.name': 'copilot-chat', 'service.version': '0.37.0' }, [
      {
        body: 'GenAI inference: gpt-4o',
        attributes: {
          'event.name': 'gen_ai.client.inference.operation.details',
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.response.model': 'gpt-4o-2024-11-20',
          'gen_ai.response.id': 'chatcmpl-abc123',
          'gen_ai.response.finish_reasons': ['stop'],
          'gen_ai.usage.input_tokens': 3000,
          'gen_ai.usage.output_tokens': 120,
          'gen_ai.input.messages': SECRET,
        },
      },
      // A failed call (error.type) is no spend.
      {
        attributes: {
          'event.name': 'gen_ai.client.inference.operation.details',
          'gen_ai.request.model': 'gpt-4o',
          'error.type': 'TimeoutError',
        },
      },
      {
        attributes: {
          'event.name': 'copilot_chat.agent.turn',
          'turn.index': 0,
          'gen_ai.usage.input_tokens': 3000,
          'gen_ai.usage.output_tokens': 120,
        },
      },
    ]);
    const got = take();
    assert.equal(got.length, 1, 'agent.turn repeats the same call: only the inference event counts');
    const i = got[0].interaction;
    assert.equal(i.id, 'copilot-chat:otel:chatcmpl-abc123');
    assert.equal(i.agent, 'copilot-chat');
    assert.equal(i.model, 'gpt-4o-2024-11-20');
    assert.deepEqual(i.tokens, { input: 3000, output: 120, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 });
    assert.equal(got[0].mayBeElsewhere, false);
    assert.ok(!JSON.stringify(got).includes('PROMPT-TEXT'));
  });

  test('GenAI cache and reasoning attributes, where a sender reports them, split input and mark reasoning', async () => {
    await sendLogs(rig.port, 'protobuf', true, { 'service.name': 'copilot-chat' }, [
      {
        attributes: {
          'event.name': 'gen_ai.client.inference.operation.details',
          'gen_ai.request.model': 'claude-sonnet-4.5',
          'gen_ai.response.id': 'msg_x',
          'gen_ai.usage.input_tokens': 10000,
          'gen_ai.usage.cache_read.input_tokens': 7000,
          'gen_ai.usage.cache_creation.input_tokens': 1000,
          'gen_ai.usage.output_tokens': 500,
          'gen_ai.usage.reasoning.output_tokens': 200,
        },
      },
    ]);
    // input 10000 - 7000 - 1000 = 2000.
    assert.deepEqual(take()[0].interaction.tokens, {
      input: 2000,
      output: 500,
      cacheRead: 7000,
      cacheWrite5m: 1000,
      cacheWrite1h: 0,
      reasoning: 200,
    });
  });
});

describe('OTLP receiver: gen_ai.client.token.usage, counted only where no event counts the same requests', { timeout: 60_000 }, () => {
  let rig: Rig;
  before(async () => (rig = await startRig({ metricHoldMs: 600_000 })));
  after(() => rig.close());
  const take = async () => {
    await rig.receiver.flushMetrics();
    return rig.received.splice(0).map((o) => o.interaction);
  };
  const inferenceEvent = (service: string, id: string, input: number, output: number, time = Date.now()) =>
    sendLogs(rig.port, 'json', false, { 'service.name': service }, [
      {
        eventName: 'gen_ai.client.inference.operation.details',
        time,
        attributes: {
          'event.name': 'gen_ai.client.inference.operation.details',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.response.id': id,
          'gen_ai.usage.input_tokens': input,
          'gen_ai.usage.output_tokens': output,
        },
      },
    ]);

  test('a sender of the metric only (protobuf, then JSON): each export interval is one interaction of its input and output', async () => {
    const before = rig.receiver.stats().metricPoints;
    // Three requests in one interval: input 3000 + 1200 = 4200, output 120 (recorded for one of them).
    await sendTokenUsageMetric(rig.port, 'protobuf', [
      { value: 3000, type: 'input' },
      { value: 1200, type: 'input' },
      { value: 120, type: 'output' },
    ]);
    await sendTokenUsageMetric(rig.port, 'json', [{ value: 10, type: 'input' }]);
    // One histogram point per attribute set: input and output in the first export, input in the second.
    assert.equal(rig.receiver.stats().metricPoints - before, 3);
    const got = await take();
    assert.deepEqual(
      got.map((i) => [i.agent, i.source, i.model, i.tokens]),
      [
        ['copilot-chat', 'otel', 'gpt-4o', tokens({ input: 4200, output: 120 })],
        ['copilot-chat', 'otel', 'gpt-4o', tokens({ input: 10 })],
      ],
    );
    assert.ok(got.every((i) => i.id.startsWith('copilot-chat:otel-metric:')));
    assert.notEqual(got[0].id, got[1].id);
  });

  test('cumulative exports count only the increase; an export that repeats the sums adds nothing', async () => {
    const m = tokenUsageMeter(rig.port, 'protobuf', 'metrics-only-agent');
    m.record(1000, 'input');
    m.record(50, 'output');
    await m.exportNow();
    m.record(500, 'input');
    await m.exportNow();
    await m.exportNow(); // sums unchanged: 1500 input, 50 output
    await m.shutdown();
    assert.deepEqual(
      (await take()).map((i) => [i.agent, i.tokens]),
      [
        ['metrics-only-agent', tokens({ input: 1000, output: 50 })],
        ['metrics-only-agent', tokens({ input: 500 })], // 1500 - 1000
      ],
    );
  });

  test('Copilot Chat sends the event and the metric for each request: counted once from the event, whichever comes first', async () => {
    // Event first, as chatMLFetcher.ts emits it and the log exporter sends it before the metric reader's export.
    const m = tokenUsageMeter(rig.port, 'json');
    m.record(2000, 'input');
    m.record(300, 'output');
    await inferenceEvent('copilot-chat', 'chatcmpl-A', 2000, 300);
    await m.exportNow();
    // Metric first: the next interval's export arrives before the event of its request (made at the request's
    // end, just after its tokens were recorded, and exported by the log processor later).
    m.record(700, 'input');
    m.record(70, 'output');
    const made = Date.now();
    await m.exportNow();
    await inferenceEvent('copilot-chat', 'chatcmpl-B', 700, 70, made);
    await m.shutdown();
    const got = await take();
    assert.deepEqual(
      got.map((i) => [i.id, i.tokens]),
      [
        ['copilot-chat:otel:chatcmpl-A', tokens({ input: 2000, output: 300 })],
        ['copilot-chat:otel:chatcmpl-B', tokens({ input: 700, output: 70 })],
      ],
    );
  });

  test('a cumulative series that began before the receiver started is a baseline: only what it adds afterwards counts', async () => {
    // The sender runs first (its sums may be stored already, by this receiver before a restart), then the receiver starts.
    const port = await freePort();
    const m = tokenUsageMeter(port, 'protobuf', 'long-running-agent');
    m.record(9000, 'input');
    await new Promise((r) => setTimeout(r, 20));
    const later = await startRig({ metricHoldMs: 600_000 }, port);
    try {
      await m.exportNow();
      m.record(400, 'input');
      await m.exportNow();
      await later.receiver.flushMetrics();
      assert.deepEqual(
        later.received.map((o) => o.interaction.tokens),
        [tokens({ input: 400 })],
      );
    } finally {
      await m.shutdown();
      await later.close();
    }
  });
});

describe('OTLP receiver: refusals, bounds and answers', { timeout: 30_000 }, () => {
  let rig: Rig;
  before(async () => (rig = await startRig({ maxBody: 64 * 1024, maxInflated: 256 * 1024 })));
  after(() => rig.close());
  const PB = { 'content-type': 'application/x-protobuf' };
  const JSON_CT = { 'content-type': 'application/json' };

  test("a web page's Origin and a non-loopback Host are refused with 403, as the gateway refuses them", async () => {
    const body = Buffer.from('{}');
    const a = await post(rig.port, '/v1/logs', body, { ...JSON_CT, origin: 'https://evil.example' });
    assert.equal(a.status, 403);
    assert.match(JSON.parse(a.body.toString()).message, /does not serve web pages/);
    const b = await post(rig.port, '/v1/logs', body, { ...PB, host: 'attacker.example:8719' });
    assert.equal(b.status, 403);
    assert.match(decodeStatus(b.body).message, /only answers requests addressed to 127\.0\.0\.1 or localhost/);
    assert.equal(rig.receiver.stats().requests, 0, 'refused before reading');
  });

  test('an empty export is answered 200 with an empty ExportLogsServiceResponse in each encoding', async () => {
    const a = await post(rig.port, '/v1/logs', Buffer.from('{}'), JSON_CT);
    assert.equal(a.status, 200);
    assert.deepEqual(JSON.parse(a.body.toString()), {});
    const b = await post(rig.port, '/v1/logs', Buffer.alloc(0), PB);
    assert.equal(b.status, 200);
    assert.equal(b.headers['content-type'], 'application/x-protobuf');
    assert.deepEqual(decodeResponse('logs', b.body), {});
  });

  test('traces are accepted and dropped (Copilot Chat sends them to the same endpoint)', async () => {
    const a = await post(rig.port, '/v1/traces', Buffer.from('{"resourceSpans":[]}'), JSON_CT);
    assert.equal(a.status, 200);
  });

  test('a body over the cap is 413; a small gzip that inflates past the inflated cap is 413 too', async () => {
    const big = await post(rig.port, '/v1/logs', Buffer.alloc(64 * 1024 + 1), PB);
    assert.equal(big.status, 413);
    assert.equal(decodeStatus(big.body).code, 8); // RESOURCE_EXHAUSTED
    const bomb = zlib.gzipSync(Buffer.alloc(1024 * 1024)); // 1 MiB of zeros > 256 KiB inflated cap
    assert.ok(bomb.length < 64 * 1024);
    const b = await post(rig.port, '/v1/logs', bomb, { ...JSON_CT, 'content-encoding': 'gzip' });
    assert.equal(b.status, 413);
    assert.match(JSON.parse(b.body.toString()).message, /inflates to more than 262144 bytes/);
  });

  test('garbage is 400 with a Status in the request encoding; unknown type 415; GET 405', async () => {
    const a = await post(rig.port, '/v1/logs', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), PB);
    assert.equal(a.status, 400);
    assert.match(decodeStatus(a.body).message, /not an OTLP logs export request in protobuf/);
    const b = await post(rig.port, '/v1/metrics', Buffer.from('{"resourceMetrics": 5'), JSON_CT);
    assert.equal(b.status, 400);
    const c = await post(rig.port, '/v1/logs', Buffer.from('x'), { 'content-type': 'text/plain' });
    assert.equal(c.status, 415);
    const d = await post(rig.port, '/v1/logs', Buffer.alloc(0), {}, 'GET');
    assert.equal(d.status, 405);
    assert.equal(d.headers.allow, 'POST');
  });

  test('a record with an unreadable count is skipped and reported as partial success; the others are kept', async () => {
    rig.received.splice(0);
    const rec = (input: string) => ({
      attributes: [
        { key: 'event.name', value: { stringValue: 'gemini_cli.api_response' } },
        { key: 'model', value: { stringValue: 'gemini-2.5-flash' } },
        { key: 'input_token_count', value: { stringValue: input } },
        { key: 'output_token_count', value: { intValue: '5' } },
      ],
    });
    const body = { resourceLogs: [{ scopeLogs: [{ logRecords: [rec('abc'), rec('10')] }] }] };
    const a = await post(rig.port, '/v1/logs', Buffer.from(JSON.stringify(body)), JSON_CT);
    assert.equal(a.status, 200);
    const r = JSON.parse(a.body.toString());
    assert.equal(r.partialSuccess.rejectedLogRecords, 1);
    assert.match(r.partialSuccess.errorMessage, /input_token_count: expected a non-negative integer/);
    assert.equal(rig.received.length, 1);
    assert.equal(rig.received[0].interaction.tokens.input, 10);
  });

  test('the gateway still answers its own paths beside the receiver', async () => {
    const a = await post(rig.port, '/v1/nothing', Buffer.alloc(0), {}, 'GET');
    assert.equal(a.status, 404);
  });
});
