// The chat provider's core against loopback servers speaking OpenAI's and Ollama's wire formats,
// through the real `openai` and `ollama` clients.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cachedGitAttribution } from '../../src/core/git';
import { ChatService, type ChatServiceDeps } from '../../src/core/chat/service';
import { ChatError } from '../../src/core/chat/errors';
import { ROLE_ASSISTANT, ROLE_USER, type ChatResponsePart } from '../../src/core/chat/messages';
import { normaliseChatSettings, type ChatModelInfo, type RouteState } from '../../src/core/chat/models';
import { validateInteraction, type Interaction } from '../../src/core/interaction';
import { fixedClock, memoryLogger } from '../../src/core/ports';
import { countTokens } from '../../src/core/tokens';
import { startFakeOllama, startFakeOpenAI, type FakeServer } from '../helpers/fake-vendors';
import { ollamaToolCallStream, openAITextStreamWithoutUsage, openAIToolCallStream, startScripted } from './wire';
import { closedUrl } from '../helpers/net';

class TextPart {
  constructor(public value: string) {}
}
class ToolCallPart {
  constructor(
    public callId: string,
    public name: string,
    public input: object,
  ) {}
}
class ToolResultPart {
  constructor(
    public callId: string,
    public content: unknown[],
  ) {}
}

const user = (text: string) => ({ role: ROLE_USER, content: [new TextPart(text)], name: undefined });
const NO_OPTIONS = { toolMode: 1 };

interface HarnessOptions {
  baseUrl?: string;
  cloudModels?: unknown;
  cloudModel?: string;
  key?: string;
  route?: RouteState | (() => RouteState);
  host?: string;
  lmstudio?: string;
  llamacpp?: string;
  attribution?: ChatServiceDeps['attribution'];
}

// Where a test that names no server sends nothing, or is refused: a port the OS handed out and that was closed.
let nowhere = '';
before(async () => {
  nowhere = await closedUrl();
});

function harness(over: HarnessOptions = {}) {
  const recorded: Interaction[] = [];
  const logger = memoryLogger();
  let keys = 0;
  const deps: ChatServiceDeps = {
    settings: () =>
      normaliseChatSettings({
        openaiBaseUrl: over.baseUrl ?? `${nowhere}/v1`,
        cloudModels: over.cloudModels ?? ['gpt-4o'],
        cloudModel: over.cloudModel ?? 'gpt-4.1',
      }).value,
    route:
      typeof over.route === 'function' ? over.route : () => (over.route as RouteState | undefined) ?? { route: 'cloud', localModel: null },
    localHosts: () => ({ ollama: over.host ?? nowhere, lmstudio: over.lmstudio ?? nowhere, llamacpp: over.llamacpp ?? nowhere }),
    apiKey: async () => over.key,
    record: (i) => void recorded.push(validateInteraction(structuredClone(i))),
    clock: fixedClock('2026-11-23T12:00:00.000Z'),
    logger,
    project: () => 'shop',
    attribution: over.attribution,
    sessionId: 'sess-1',
    newKey: () => `k${++keys}`,
    openaiMaxRetries: 0,
  };
  return { service: new ChatService(deps), recorded, logger };
}

const cloud = (id: string): Pick<ChatModelInfo, 'id' | 'backend' | 'upstream'> => ({ id: `cloud/${id}`, backend: 'openai', upstream: id });
const local = (name: string): Pick<ChatModelInfo, 'id' | 'backend' | 'upstream'> => ({
  id: `ollama/${name}`,
  backend: 'ollama',
  upstream: name,
});

async function collect(run: (onPart: (p: ChatResponsePart) => void) => Promise<Interaction | undefined>) {
  const parts: ChatResponsePart[] = [];
  const interaction = await run((p) => parts.push(p));
  return { parts, interaction, text: parts.flatMap((p) => (p.type === 'text' ? [p.value] : [])).join('') };
}

/** A loopback port nothing listens on (bound, then released). */
async function unusedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((ok) => s.close(ok));
  return port;
}

async function closed(server: FakeServer | { close(): Promise<void> }) {
  await server.close();
}

test('OpenAI: streams text, asks for usage in the stream, meters it as one cloud Interaction with the provider id', async () => {
  const oa = await startFakeOpenAI();
  try {
    oa.next({
      id: 'chatcmpl-abc123',
      text: 'Use a Map for that.',
      usage: {
        prompt_tokens: 1200,
        completion_tokens: 7,
        prompt_tokens_details: { cached_tokens: 1024 },
        completion_tokens_details: { reasoning_tokens: 2 },
      },
    });
    const { service, recorded } = harness({ baseUrl: `${oa.url}/v1`, key: 'sk-test-123' });
    const r = await collect((onPart) =>
      service.respond(cloud('gpt-4o'), [user('How do I dedupe?')], NO_OPTIONS, onPart, new AbortController().signal),
    );
    assert.equal(r.text, 'Use a Map for that.');
    assert.ok(r.parts.length >= 4, 'text arrives in several parts, as streamed');
    const req = oa.requests[0];
    assert.equal(req.path, '/v1/chat/completions');
    assert.equal(req.headers.authorization, 'Bearer sk-test-123');
    assert.equal(req.json.stream, true);
    assert.deepEqual(req.json.stream_options, { include_usage: true });
    assert.deepEqual(req.json.messages, [{ role: 'user', content: 'How do I dedupe?' }]);
    assert.deepEqual(recorded, [
      {
        id: 'openai:chatcmpl-abc123',
        at: '2026-11-23T12:00:00.000Z',
        agent: 'editor-chat',
        source: 'chat',
        project: 'shop',
        model: 'gpt-4o',
        route: 'cloud',
        replaces: null,
        // prompt_tokens includes the cached ones: input is disjoint from cacheRead.
        tokens: { input: 176, output: 7, cacheRead: 1024, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 2 },
        costNanos: null,
        avoidedNanos: null,
        priceSource: null,
        estimated: false,
      },
    ]);
    assert.deepEqual(r.interaction, recorded[0]);
  } finally {
    await closed(oa);
  }
});

test('a reply is attributed to the workspace checkout (branch, repository without credentials), and a failing reader costs nothing', async () => {
  const oa = await startFakeOpenAI();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-chat-git-'));
  try {
    mkdirSync(path.join(dir, '.git'));
    writeFileSync(path.join(dir, '.git', 'HEAD'), 'ref: refs/heads/feature/search\n');
    writeFileSync(path.join(dir, '.git', 'config'), '[remote "origin"]\n\turl = https://me:pw@github.com/acme/shop.git\n');
    const git = cachedGitAttribution(5_000);
    oa.next({ id: 'chatcmpl-git1', text: 'ok', usage: { prompt_tokens: 10, completion_tokens: 2 } });
    const { service, recorded } = harness({ baseUrl: `${oa.url}/v1`, key: 'k', attribution: () => git(dir) });
    await collect((onPart) => service.respond(cloud('gpt-4o'), [user('hi')], NO_OPTIONS, onPart, new AbortController().signal));
    assert.equal(recorded[0].branch, 'feature/search');
    assert.equal(recorded[0].repo, 'github.com/acme/shop');
    oa.next({ id: 'chatcmpl-git2', text: 'ok', usage: { prompt_tokens: 10, completion_tokens: 2 } });
    const broken = harness({
      baseUrl: `${oa.url}/v1`,
      key: 'k',
      attribution: () => {
        throw new Error('disk gone');
      },
    });
    await collect((onPart) => broken.service.respond(cloud('gpt-4o'), [user('hi')], NO_OPTIONS, onPart, new AbortController().signal));
    assert.equal(broken.recorded.length, 1);
    assert.equal('branch' in broken.recorded[0], false);
  } finally {
    await oa.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('OpenAI: streamed tool calls are reassembled from fragments, and tool results are passed back', async () => {
  const srv = await startScripted((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(
      openAIToolCallStream({
        id: 'chatcmpl-tools1',
        model: req.json.model,
        calls: [
          { id: 'call_A', name: 'read_file', argumentFragments: ['{"pa', 'th": "src/', 'a.ts"}'] },
          { id: 'call_B', name: 'list_dir', argumentFragments: ['{}'] },
        ],
        usage: { prompt_tokens: 300, completion_tokens: 40, total_tokens: 340 },
      }),
    );
  });
  try {
    const { service, recorded } = harness({ baseUrl: srv.url, key: 'k' });
    const tools = [
      { name: 'read_file', description: 'Read a file', inputSchema: { type: 'object', properties: { path: { type: 'string' } } } },
      { name: 'list_dir', description: 'List a directory' },
    ];
    const history = [
      user('Open a.ts'),
      { role: ROLE_ASSISTANT, content: [new ToolCallPart('call_0', 'list_dir', {})], name: undefined },
      { role: ROLE_USER, content: [new ToolResultPart('call_0', [new TextPart('src/a.ts')])], name: undefined },
    ];
    const r = await collect((onPart) =>
      service.respond(cloud('gpt-4.1'), history, { tools, toolMode: 2 }, onPart, new AbortController().signal),
    );
    assert.deepEqual(r.parts, [
      { type: 'toolCall', callId: 'call_A', name: 'read_file', input: { path: 'src/a.ts' } },
      { type: 'toolCall', callId: 'call_B', name: 'list_dir', input: {} },
    ]);
    const body = srv.requests[0].json;
    assert.equal(body.tool_choice, 'required');
    assert.deepEqual(
      body.tools.map((t: any) => t.function.name),
      ['read_file', 'list_dir'],
    );
    assert.deepEqual(body.messages.slice(1), [
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_0', type: 'function', function: { name: 'list_dir', arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: 'call_0', content: 'src/a.ts' },
    ]);
    assert.equal(recorded[0].id, 'openai:chatcmpl-tools1');
    assert.deepEqual([recorded[0].tokens.input, recorded[0].tokens.output, recorded[0].estimated], [300, 40, false]);
  } finally {
    await srv.close();
  }
});

test('OpenAI: a tool call whose arguments are not JSON is a clear error, and the request is still metered', async () => {
  const srv = await startScripted((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(
      openAIToolCallStream({
        id: 'chatcmpl-bad',
        model: req.json.model,
        calls: [{ id: 'c', name: 'edit', argumentFragments: ['{"path": '] }],
        usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 },
      }),
    );
  });
  try {
    const { service, recorded } = harness({ baseUrl: srv.url, key: 'k' });
    await assert.rejects(
      service.respond(cloud('gpt-4o'), [user('x')], NO_OPTIONS, () => {}, new AbortController().signal),
      (e: ChatError) => {
        assert.equal(e.code, 'E_CHAT_BAD_RESPONSE');
        assert.match(e.message, /"gpt-4o" called the tool "edit" with arguments that are not a JSON object: \{"path": /);
        return true;
      },
    );
    assert.equal(recorded.length, 1);
  } finally {
    await srv.close();
  }
});

test('OpenAI: an endpoint that reports no usage is counted with tiktoken and marked estimated', async () => {
  const deltas = ['The answer ', 'is ', '42.'];
  const srv = await startScripted((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(openAITextStreamWithoutUsage({ id: 'chatcmpl-nousage', model: req.json.model, deltas }));
  });
  try {
    const { service, recorded } = harness({ baseUrl: srv.url, key: 'k' });
    const prompt = 'What is six times seven?';
    const r = await collect((onPart) => service.respond(cloud('gpt-4o'), [user(prompt)], NO_OPTIONS, onPart, new AbortController().signal));
    assert.equal(r.text, 'The answer is 42.');
    const i = recorded[0];
    assert.equal(i.estimated, true);
    assert.equal(i.id, 'openai:chatcmpl-nousage');
    assert.equal(i.tokens.output, await countTokens('The answer is 42.', 'gpt-4o'));
    // OpenAI's chat framing: 3 per message + role + content, + 3 priming the reply.
    assert.equal(i.tokens.input, 3 + 3 + (await countTokens('user', 'gpt-4o')) + (await countTokens(prompt, 'gpt-4o')));
  } finally {
    await srv.close();
  }
});

test('OpenAI: usage with a count that is not a whole number is not trusted: counted with tiktoken and marked estimated', async () => {
  const oa = await startFakeOpenAI();
  try {
    // A compatible server's usage chunk with the prompt count as a string: the SDK passes it through untyped.
    oa.next({ id: 'chatcmpl-badusage', text: 'ok', usage: { prompt_tokens: '12', completion_tokens: 1 } });
    const { service, recorded } = harness({ baseUrl: `${oa.url}/v1`, key: 'k' });
    const prompt = 'Say ok.';
    await collect((onPart) => service.respond(cloud('gpt-4o'), [user(prompt)], NO_OPTIONS, onPart, new AbortController().signal));
    const i = recorded[0];
    assert.equal(i.id, 'openai:chatcmpl-badusage');
    assert.equal(i.estimated, true);
    assert.equal(i.tokens.output, await countTokens('ok', 'gpt-4o'));
    // OpenAI's chat framing: 3 per message + role + content, + 3 priming the reply.
    assert.equal(i.tokens.input, 3 + 3 + (await countTokens('user', 'gpt-4o')) + (await countTokens(prompt, 'gpt-4o')));
  } finally {
    await oa.close();
  }
});

test('OpenAI errors: 401 says to set the key, 404 names the model, a closed port says the endpoint is unreachable; none is metered', async () => {
  const oa = await startFakeOpenAI();
  try {
    oa.next({ error: { status: 401, message: 'Incorrect API key provided: sk-wrong.' } });
    const withKey = harness({ baseUrl: `${oa.url}/v1`, key: 'sk-wrong' });
    await assert.rejects(
      withKey.service.respond(cloud('gpt-4o'), [user('hi')], NO_OPTIONS, () => {}, new AbortController().signal),
      (e: ChatError) => {
        assert.equal(e.code, 'E_CHAT_AUTH');
        assert.match(e.message, /refused the request \(401: Incorrect API key provided: sk-wrong\.\)/);
        assert.match(e.message, /The stored API key was rejected: run "Unmetered: Set Chat API Key" to replace it\./);
        return true;
      },
    );
    oa.next({ error: { status: 401, message: 'You did not provide an API key.' } });
    const noKey = harness({ baseUrl: `${oa.url}/v1` });
    await assert.rejects(
      noKey.service.respond(cloud('gpt-4o'), [user('hi')], NO_OPTIONS, () => {}, new AbortController().signal),
      /No API key is stored: run "Unmetered: Set Chat API Key"\./,
    );

    oa.next({ error: { status: 404, message: 'The model `gpt-9` does not exist or you do not have access to it.' } });
    await assert.rejects(
      withKey.service.respond(cloud('gpt-9'), [user('hi')], NO_OPTIONS, () => {}, new AbortController().signal),
      (e: ChatError) => {
        assert.equal(e.code, 'E_CHAT_MODEL_NOT_FOUND');
        assert.match(e.message, /has no model "gpt-9" \(404: The model `gpt-9` does not exist/);
        return true;
      },
    );
    assert.equal(withKey.recorded.length + noKey.recorded.length, 0);
  } finally {
    await closed(oa);
  }
});

test('OpenAI: nothing listening at the base URL is reported as unreachable, with the setting to check', async () => {
  const url = `http://127.0.0.1:${await unusedPort()}/v1`;
  const down = harness({ baseUrl: url, key: 'k' });
  await assert.rejects(
    down.service.respond(cloud('gpt-4o'), [user('hi')], NO_OPTIONS, () => {}, new AbortController().signal),
    (e: ChatError) => {
      assert.equal(e.code, 'E_CHAT_UNREACHABLE');
      assert.equal(
        e.message,
        `Cannot reach the OpenAI-compatible endpoint at ${url} (ECONNREFUSED). Check the setting unmetered.chat.openaiBaseUrl and your network.`,
      );
      return true;
    },
  );
  assert.equal(down.recorded.length, 0);
});

test('OpenAI: cancelling before the first byte (a slow model) closes the upstream request; nothing is metered', async () => {
  const srv = await startScripted(() => {
    /* accepts the request, never answers */
  });
  try {
    const { service, recorded } = harness({ baseUrl: srv.url, key: 'k' });
    const ac = new AbortController();
    const run = service.respond(cloud('o3'), [user('think hard')], NO_OPTIONS, () => {}, ac.signal);
    await srv.arrived(0);
    ac.abort();
    await assert.rejects(run, (e: ChatError) => e.code === 'E_CHAT_CANCELLED');
    assert.equal(await srv.requests[0].closedEarly, true);
    assert.equal(recorded.length, 0);
  } finally {
    await srv.close();
  }
});

test("OpenAI: other server errors carry the status and the server's own words", async () => {
  const oa = await startFakeOpenAI();
  try {
    oa.next({ error: { status: 429, message: 'Rate limit reached for gpt-4o on tokens per min (TPM): Limit 30000.' } });
    const { service } = harness({ baseUrl: `${oa.url}/v1`, key: 'k' });
    await assert.rejects(
      service.respond(cloud('gpt-4o'), [user('hi')], NO_OPTIONS, () => {}, new AbortController().signal),
      (e: ChatError) => {
        assert.equal(e.code, 'E_CHAT_UPSTREAM');
        assert.equal(e.status, 429);
        assert.match(
          e.message,
          /returned an error for "gpt-4o" \(429: Rate limit reached for gpt-4o on tokens per min \(TPM\): Limit 30000\.\)/,
        );
        return true;
      },
    );
  } finally {
    await closed(oa);
  }
});

test('OpenAI: cancelling mid-stream closes the upstream connection; the partial request is metered as estimated', async () => {
  const oa = await startFakeOpenAI();
  try {
    oa.next({ id: 'chatcmpl-cancel', text: 'one two three four five six', hangAfterEvents: 3 });
    const { service, recorded } = harness({ baseUrl: `${oa.url}/v1`, key: 'k' });
    const ac = new AbortController();
    const parts: ChatResponsePart[] = [];
    const run = service.respond(
      cloud('gpt-4o'),
      [user('count')],
      NO_OPTIONS,
      (p) => {
        parts.push(p);
        if (parts.length === 2) ac.abort();
      },
      ac.signal,
    );
    await assert.rejects(run, (e: ChatError) => e.code === 'E_CHAT_CANCELLED');
    const seen = await oa.settled(0);
    assert.equal(seen.aborted, true, 'the server saw the client close the connection before the response ended');
    assert.equal(recorded.length, 1);
    assert.equal(recorded[0].id, 'openai:chatcmpl-cancel');
    assert.equal(recorded[0].estimated, true);
    assert.equal(recorded[0].tokens.output, await countTokens('one two ', 'gpt-4o'));
  } finally {
    await closed(oa);
  }
});

const MODELS = [
  {
    name: 'qwen2.5-coder:7b',
    family: 'qwen2',
    parameterSize: '7.6B',
    quantization: 'Q4_K_M',
    size: 4_683_087_332,
    contextLength: 32_768,
    capabilities: ['completion', 'tools'],
  },
  {
    name: 'llava:13b',
    family: 'llama',
    parameterSize: '13B',
    quantization: 'Q4_0',
    size: 8_000_000_000,
    contextLength: 4096,
    capabilities: ['completion', 'vision'],
  },
  { name: 'nomic-embed-text:latest', family: 'nomic-bert', size: 274_302_450, contextLength: 2048, capabilities: ['embedding'] },
];

test('Ollama: streams text and meters it as local, standing in for the configured cloud model, with the reported counts', async () => {
  const ol = await startFakeOllama({ models: MODELS });
  try {
    ol.next({ text: 'Local answer here.', usage: { prompt_eval_count: 61, eval_count: 5 } });
    const { service, recorded } = harness({ host: ol.url, cloudModel: 'claude-sonnet-4-5' });
    const r = await collect((onPart) =>
      service.respond(local('qwen2.5-coder:7b'), [user('hello')], NO_OPTIONS, onPart, new AbortController().signal),
    );
    assert.equal(r.text, 'Local answer here.');
    assert.equal(ol.requests[0].path, '/api/chat');
    assert.deepEqual(ol.requests[0].json.messages, [{ role: 'user', content: 'hello' }]);
    assert.deepEqual(recorded, [
      {
        id: 'editor-chat:sess-1:k1',
        at: '2026-11-23T12:00:00.000Z',
        agent: 'editor-chat',
        source: 'chat',
        project: 'shop',
        model: 'qwen2.5-coder:7b',
        route: 'local',
        replaces: 'claude-sonnet-4-5',
        tokens: { input: 61, output: 5, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 },
        costNanos: null,
        avoidedNanos: null,
        priceSource: null,
        estimated: false,
      },
    ]);
  } finally {
    await closed(ol);
  }
});

test('Ollama: tool calls come back with ids, tool results go back named; a final chunk without counts is estimated', async () => {
  const srv = await startScripted((req, res) => {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    res.end(ollamaToolCallStream({ model: req.json.model, calls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] }));
  });
  try {
    const { service, recorded } = harness({ host: srv.url });
    const history = [
      user('Weather?'),
      { role: ROLE_ASSISTANT, content: [new ToolCallPart('call_x', 'get_location', {})], name: undefined },
      { role: ROLE_USER, content: [new ToolResultPart('call_x', [new TextPart('Paris')])], name: undefined },
    ];
    const tools = [
      { name: 'get_weather', description: 'Weather', inputSchema: { type: 'object', properties: { city: { type: 'string' } } } },
    ];
    const r = await collect((onPart) =>
      service.respond(local('qwen2.5-coder:7b'), history, { tools, toolMode: 1 }, onPart, new AbortController().signal),
    );
    assert.equal(r.parts.length, 1);
    const call = r.parts[0] as Extract<ChatResponsePart, { type: 'toolCall' }>;
    assert.equal(call.name, 'get_weather');
    assert.deepEqual(call.input, { city: 'Paris' });
    assert.ok(call.callId.length > 0, 'VS Code needs a call id to match the result; Ollama sends none');
    const body = srv.requests[0].json;
    assert.deepEqual(body.tools, [
      {
        type: 'function',
        function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
      },
    ]);
    assert.deepEqual(body.messages.slice(1), [
      { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_location', arguments: {} } }] },
      { role: 'tool', content: 'Paris', tool_name: 'get_location' },
    ]);
    assert.equal(recorded[0].estimated, true);
    assert.ok(recorded[0].tokens.input > 10, `prompt estimated from the messages and the tool schema, got ${recorded[0].tokens.input}`);
    assert.equal(recorded[0].tokens.output, await countTokens('get_weather{"city":"Paris"}', 'qwen2.5-coder:7b'));
  } finally {
    await srv.close();
  }
});

test('Ollama: cancelling while the model is still loading (no byte sent yet) closes the upstream request; nothing is metered', async () => {
  const srv = await startScripted(() => {
    /* never answers, like Ollama loading a large model */
  });
  try {
    const { service, recorded } = harness({ host: srv.url });
    const ac = new AbortController();
    const run = service.respond(local('qwen2.5-coder:7b'), [user('hi')], NO_OPTIONS, () => {}, ac.signal);
    await srv.arrived(0);
    ac.abort();
    await assert.rejects(run, (e: ChatError) => e.code === 'E_CHAT_CANCELLED');
    assert.equal(await srv.requests[0].closedEarly, true);
    assert.equal(recorded.length, 0);
  } finally {
    await srv.close();
  }
});

test('Ollama: cancelling mid-stream closes the connection and meters the partial answer as estimated', async () => {
  const ol = await startFakeOllama({ models: MODELS });
  try {
    ol.next({ text: 'a b c d e f g', hangAfterEvents: 2 });
    const { service, recorded } = harness({ host: ol.url });
    const ac = new AbortController();
    const run = service.respond(
      local('qwen2.5-coder:7b'),
      [user('letters')],
      NO_OPTIONS,
      (p) => p.type === 'text' && p.value.startsWith('b') && ac.abort(),
      ac.signal,
    );
    await assert.rejects(run, (e: ChatError) => e.code === 'E_CHAT_CANCELLED');
    assert.equal((await ol.settled(0)).aborted, true);
    assert.equal(recorded.length, 1);
    assert.equal(recorded[0].estimated, true);
    assert.equal(recorded[0].route, 'local');
    assert.equal(recorded[0].tokens.output, await countTokens('a b ', 'qwen2.5-coder:7b'));
  } finally {
    await closed(ol);
  }
});

test('Ollama errors: a model that is not pulled says how to pull it; Ollama not running says how to start it', async () => {
  const ol = await startFakeOllama({ models: MODELS });
  const { service, recorded } = harness({ host: ol.url });
  try {
    await assert.rejects(
      service.respond(local('llama3.3:70b'), [user('hi')], NO_OPTIONS, () => {}, new AbortController().signal),
      (e: ChatError) => {
        assert.equal(e.code, 'E_CHAT_MODEL_NOT_FOUND');
        assert.equal(
          e.message,
          `The model "llama3.3:70b" is not installed in Ollama at ${ol.url}. Pull it with \`ollama pull` +
            ` llama3.3:70b\` or the "Unmetered: Pull a model…" command.`,
        );
        return true;
      },
    );
  } finally {
    await closed(ol);
  }
  const host = `http://127.0.0.1:${await unusedPort()}`;
  const down = harness({ host });
  await assert.rejects(
    down.service.respond(local('qwen2.5-coder:7b'), [user('hi')], NO_OPTIONS, () => {}, new AbortController().signal),
    (e: ChatError) => {
      assert.equal(e.code, 'E_CHAT_UNREACHABLE');
      assert.match(e.message, new RegExp(`^Ollama is not running at ${host}\\. Start it with \`ollama serve\``));
      return true;
    },
  );
  assert.equal(recorded.length + down.recorded.length, 0);
});

test('listModels: installed Ollama chat models with context, size and capabilities; cloud models; Auto follows the switch', async () => {
  const ol = await startFakeOllama({ models: MODELS });
  try {
    let route: RouteState = { route: 'local', localModel: 'qwen2.5-coder:7b' };
    const { service, logger } = harness({
      host: ol.url,
      cloudModels: ['gpt-4.1', { id: 'my-proxy-model', maxInputTokens: 50_000, toolCalling: false }],
      cloudModel: 'gpt-4.1',
      route: () => route,
      baseUrl: 'https://llm.example.test/v1',
    });
    const models = await service.listModels();
    assert.deepEqual(
      models.map((m) => m.id),
      ['auto', 'ollama/qwen2.5-coder:7b', 'ollama/llava:13b', 'cloud/gpt-4.1', 'cloud/my-proxy-model'],
      'the embedding model is not offered for chat',
    );
    const qwen = models[1];
    assert.equal(qwen.name, 'qwen2.5-coder:7b');
    assert.equal(qwen.family, 'qwen2');
    assert.equal(qwen.detail, 'Ollama · 7.6B · Q4_K_M · 4.7 GB');
    assert.match(qwen.tooltip!, /Context window: 32,768 tokens\. Tools: yes\. Images: no\./);
    // The window holds prompt and answer: 32,768 = 24,576 in + 8,192 out.
    assert.deepEqual([qwen.maxInputTokens, qwen.maxOutputTokens], [24_576, 8_192]);
    assert.deepEqual(qwen.capabilities, { toolCalling: true, imageInput: false });
    const llava = models[2];
    assert.deepEqual([llava.maxInputTokens, llava.maxOutputTokens], [2048, 2048]);
    assert.deepEqual(llava.capabilities, { toolCalling: false, imageInput: true });
    assert.deepEqual(
      [models[3].maxInputTokens, models[3].maxOutputTokens, models[3].detail],
      [1_047_576, 32_768, 'cloud · llm.example.test'],
    );
    assert.deepEqual([models[4].maxInputTokens, models[4].capabilities.toolCalling], [50_000, false]);

    const auto = models[0];
    assert.equal(auto.name, 'Unmetered: Auto');
    assert.equal(auto.detail, 'local · qwen2.5-coder:7b');
    assert.equal(auto.maxInputTokens, qwen.maxInputTokens);
    assert.deepEqual(service.resolve(auto), { backend: 'ollama', upstream: 'qwen2.5-coder:7b' });
    route = { route: 'cloud', localModel: 'qwen2.5-coder:7b' };
    assert.deepEqual(
      service.resolve(auto),
      { backend: 'openai', upstream: 'gpt-4.1' },
      'resolved per request: the switch may move after listing',
    );
    assert.equal((await service.listModels())[0].detail, 'cloud · gpt-4.1');
    route = { route: 'local', localModel: null };
    assert.throws(() => service.resolve(auto), /set to local, but no local model is chosen/);
    assert.deepEqual(
      (await service.listModels()).map((m) => m.id).includes('auto'),
      false,
      'Auto is not offered while it has nothing to follow',
    );
    route = { route: 'local', localModel: 'not-installed:1b' };
    assert.deepEqual(
      (await service.listModels()).map((m) => m.id).includes('auto'),
      false,
      'nor while it follows a model that is not installed',
    );
    assert.equal(ol.requests.filter((r) => r.path === '/api/show').length, 3, '/api/show is asked once per model, not on every listing');
    assert.equal(logger.lines.length, 0, 'nothing to log while everything answers');
  } finally {
    await closed(ol);
  }
});

test('listModels: with no cloudModels configured, the endpoint is asked only when a key is stored; Ollama down lists no local models', async () => {
  const oa = await startFakeOpenAI();
  try {
    const withKey = harness({ baseUrl: `${oa.url}/v1`, cloudModels: [], cloudModel: 'gpt-4o', key: 'sk-1' });
    assert.deepEqual(
      (await withKey.service.listModels()).map((m) => m.id),
      ['auto', 'cloud/gpt-4o'],
    );
    assert.equal(oa.requests[0].path, '/v1/models');
    assert.match(withKey.logger.lines.join('\n'), /no Ollama models listed: Ollama is not running/);
    await withKey.service.listModels();
    assert.equal(
      withKey.logger.lines.filter((l) => l.includes('no Ollama models listed')).length,
      1,
      'the same note is logged once, not on every listing',
    );
    const noKey = harness({ baseUrl: `${oa.url}/v1`, cloudModels: [] });
    assert.deepEqual(
      (await noKey.service.listModels()).map((m) => m.id),
      [],
      'nothing configured: no model at all, not an Auto that can only fail',
    );
    assert.equal(oa.requests.length, 2);
  } finally {
    await closed(oa);
  }
});

test('countTokens uses the encoding of the model family, for text and for whole messages', async () => {
  const { service } = harness({ route: { route: 'cloud', localModel: null }, cloudModel: 'gpt-4o' });
  assert.equal(await service.countTokens(cloud('gpt-4o'), 'お誕生日おめでとう'), 8);
  assert.equal(await service.countTokens(local('qwen2.5-coder:7b'), 'お誕生日おめでとう'), 9);
  assert.equal(
    await service.countTokens({ id: 'auto', backend: 'auto', upstream: '' }, 'お誕生日おめでとう'),
    8,
    'Auto counts with its current target',
  );
  // 3 framing tokens + "user" (1) + "hello world" (2).
  assert.equal(await service.countTokens(cloud('gpt-4o'), user('hello world')), 6);
});
