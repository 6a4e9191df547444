// The editor chat's local models on LM Studio and llama-server, against the stand-ins that speak their
// documented wire formats (test/helpers/fake-local.ts), through the real `openai` client; and the rule
// that a model not on this machine is never counted as spend avoided, on every server.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { ChatService, type ChatServiceDeps } from '../../src/core/chat/service';
import type { ChatError } from '../../src/core/chat/errors';
import { ROLE_USER, type ChatResponsePart } from '../../src/core/chat/messages';
import { normaliseChatSettings, type ChatModelInfo, type RouteState } from '../../src/core/chat/models';
import { validateInteraction, type Interaction } from '../../src/core/interaction';
import { fixedClock, memoryLogger } from '../../src/core/ports';
import { loadPriceTable, priceInteraction } from '../../src/core/pricing';
import { startFakeLlamaCpp, startFakeLmStudio, type FakeLmModel } from '../helpers/fake-local';
import { startFakeOllama } from '../helpers/fake-vendors';
import { closedUrl } from '../helpers/net';

const user = (text: string) => ({ role: ROLE_USER, content: [{ value: text }], name: undefined });
const NO_OPTIONS = { toolMode: 1 };
const prices = loadPriceTable();

let nowhere = '';
before(async () => {
  nowhere = await closedUrl();
});

interface Over {
  ollama?: string;
  lmstudio?: string;
  llamacpp?: string;
  route?: RouteState;
  fetch?: typeof fetch;
}

function harness(over: Over = {}) {
  const recorded: Interaction[] = [];
  const logger = memoryLogger();
  let keys = 0;
  const deps: ChatServiceDeps = {
    // No cloud endpoint: only the local servers list anything.
    settings: () => normaliseChatSettings({ openaiBaseUrl: `${nowhere}/v1`, cloudModels: [], cloudModel: 'claude-sonnet-4-5' }).value,
    route: () => over.route ?? { route: 'cloud', localModel: null },
    localHosts: () => ({ ollama: over.ollama ?? nowhere, lmstudio: over.lmstudio ?? nowhere, llamacpp: over.llamacpp ?? nowhere }),
    apiKey: async () => undefined,
    record: (i) => void recorded.push(validateInteraction(structuredClone(i))),
    clock: fixedClock('2026-11-23T12:00:00.000Z'),
    logger,
    project: () => 'shop',
    sessionId: 'sess-1',
    newKey: () => `k${++keys}`,
    fetch: over.fetch,
  };
  return { service: new ChatService(deps), recorded, logger };
}

type Target = Pick<ChatModelInfo, 'id' | 'backend' | 'upstream'>;
const on = (backend: ChatModelInfo['backend'], name: string): Target => ({ id: `${backend}/${name}`, backend, upstream: name });

async function ask(service: ChatService, model: Target, text = 'hello') {
  const parts: ChatResponsePart[] = [];
  const interaction = await service.respond(model, [user(text)], NO_OPTIONS, (p) => parts.push(p), new AbortController().signal);
  return { parts, interaction, text: parts.flatMap((p) => (p.type === 'text' ? [p.value] : [])).join('') };
}

const LM_MODELS: FakeLmModel[] = [
  { key: 'qwen/qwen3-coder-30b', maxContextLength: 262_144, tools: true, loadedContext: 65_536 },
  { key: 'google/gemma-3-12b', maxContextLength: 131_072, tools: false, vision: true, paramsString: '12B', sizeBytes: 8_070_000_000 },
  { key: 'text-embedding-nomic', maxContextLength: 2048, tools: false, type: 'embedding' },
];

describe('editor chat on LM Studio', { timeout: 30_000 }, () => {
  test('lists its LLMs with the window they are loaded with (an unloaded one: the small default), not its embedders', async () => {
    const lms = await startFakeLmStudio({ models: LM_MODELS });
    try {
      const { service, logger } = harness({ lmstudio: lms.url });
      const models = await service.listModels();
      assert.deepEqual(
        models.map((m) => m.id),
        ['lmstudio/qwen/qwen3-coder-30b', 'lmstudio/google/gemma-3-12b'],
      );
      const [qwen, gemma] = models;
      assert.equal(qwen.detail, 'LM Studio · 30B · Q4_K_M · 18 GB');
      // Loaded at 65,536: the answer gets 8,192 of it, the prompt 65,536 - 8,192 = 57,344.
      assert.deepEqual([qwen.maxInputTokens, qwen.maxOutputTokens], [57_344, 8_192]);
      assert.deepEqual(qwen.capabilities, { toolCalling: true, imageInput: false });
      assert.match(qwen.tooltip!, /served by LM Studio at .*Context window: 65,536 tokens \(as loaded\)\..*Metered by Unmetered as local/);
      // Not loaded: LM Studio would load it with 4,096, so 4,096 / 2 = 2,048 for each side, not its trained 131,072.
      assert.deepEqual([gemma.maxInputTokens, gemma.maxOutputTokens], [2_048, 2_048]);
      assert.deepEqual(gemma.capabilities, { toolCalling: false, imageInput: true });
      assert.match(
        gemma.tooltip!,
        /not loaded yet \(assuming 4,096; load it with a larger window: `lms load <model> --context-length 65536`/,
      );
      assert.equal(
        logger.lines.length,
        1,
        'one note: Ollama (the default) is not running; llama-server, not running and not chosen, is not noted',
      );
      assert.match(logger.lines[0], /^info: chat: no Ollama models listed: Ollama is not running/);
    } finally {
      await lms.close();
    }
  });

  test('streams an answer over Chat Completions with usage asked for; its counts recorded, avoided spend at the displaced model', async () => {
    const lms = await startFakeLmStudio({ models: LM_MODELS });
    try {
      lms.next({ text: 'Use a Map for that.' });
      const { service, recorded } = harness({ lmstudio: lms.url });
      const r = await ask(service, on('lmstudio', 'qwen/qwen3-coder-30b'), 'How do I dedupe?');
      assert.equal(r.text, 'Use a Map for that.');
      assert.ok(r.parts.length >= 4, 'text arrives in several parts, as streamed');
      const req = lms.requests.find((q) => q.method === 'POST')!;
      assert.equal(req.path, '/v1/chat/completions');
      assert.equal(req.json.model, 'qwen/qwen3-coder-30b');
      assert.equal(req.json.stream, true);
      assert.deepEqual(req.json.stream_options, { include_usage: true });
      assert.deepEqual(req.json.messages, [{ role: 'user', content: 'How do I dedupe?' }]);
      assert.deepEqual(recorded, [
        {
          id: 'editor-chat:sess-1:k1',
          at: '2026-11-23T12:00:00.000Z',
          agent: 'editor-chat',
          source: 'chat',
          project: 'shop',
          model: 'qwen/qwen3-coder-30b',
          route: 'local',
          replaces: 'claude-sonnet-4-5',
          // LMSTUDIO_CHAT_USAGE: prompt_tokens 31, completion_tokens 7.
          tokens: { input: 31, output: 7, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 },
          costNanos: null,
          avoidedNanos: null,
          priceSource: null,
          estimated: false,
        },
      ]);
      const priced = priceInteraction(recorded[0], prices);
      // claude-sonnet-4-5 in the pinned snapshot: $3 / MTok in (3,000 nano-dollars a token), $15 / MTok out (15,000).
      // 31 × 3,000 + 7 × 15,000 = 93,000 + 105,000 = 198,000 nano-dollars.
      assert.deepEqual([priced.costNanos, priced.avoidedNanos, priced.priceSource], [0, 198_000, 'local']);
    } finally {
      await lms.close();
    }
  });

  test('Auto follows the switch to an LM Studio model', async () => {
    const lms = await startFakeLmStudio({ models: LM_MODELS });
    try {
      lms.next({ text: 'ok' });
      const route: RouteState = { route: 'local', localModel: 'qwen/qwen3-coder-30b', localServer: 'lmstudio' };
      const { service, recorded } = harness({ lmstudio: lms.url, route });
      const [auto, qwen] = await service.listModels();
      assert.equal(auto.id, 'auto');
      assert.equal(auto.detail, 'local · qwen/qwen3-coder-30b');
      assert.equal(auto.maxInputTokens, qwen.maxInputTokens);
      assert.deepEqual(service.resolve(auto), { backend: 'lmstudio', upstream: 'qwen/qwen3-coder-30b' });
      await ask(service, auto);
      assert.equal(lms.requests.find((q) => q.method === 'POST')?.json.model, 'qwen/qwen3-coder-30b');
      assert.equal(recorded[0].route, 'local');
    } finally {
      await lms.close();
    }
  });

  test('errors say what to do on LM Studio: a missing model, the server not running; neither is metered', async () => {
    const lms = await startFakeLmStudio({ models: LM_MODELS });
    const { service, recorded } = harness({ lmstudio: lms.url });
    try {
      await assert.rejects(ask(service, on('lmstudio', 'mistral/devstral')), (e: ChatError) => {
        assert.equal(e.code, 'E_CHAT_MODEL_NOT_FOUND');
        assert.equal(
          e.message,
          `LM Studio at ${lms.url} has no model "mistral/devstral". Get it with \`lms get mistral/devstral\` or in the LM Studio app.`,
        );
        return true;
      });
    } finally {
      await lms.close();
    }
    const down = harness({ lmstudio: nowhere, route: { route: 'local', localModel: 'x', localServer: 'lmstudio' } });
    await assert.rejects(ask(down.service, on('lmstudio', 'qwen/qwen3-coder-30b')), (e: ChatError) => {
      assert.equal(e.code, 'E_CHAT_UNREACHABLE');
      assert.match(e.message, new RegExp(`^LM Studio is not running at ${nowhere}\\. Start its server with \`lms server start\``));
      return true;
    });
    assert.deepEqual(await down.service.listModels(), []);
    await down.service.listModels();
    assert.equal(
      down.logger.lines.filter((l) => l.includes('no LM Studio models listed: LM Studio is not running')).length,
      1,
      'the chosen server being down is noted, once',
    );
    assert.equal(recorded.length + down.recorded.length, 0);
  });
});

describe('editor chat on llama-server', { timeout: 30_000 }, () => {
  test('lists the model it serves with /props n_ctx as the window and its template’s tool support', async () => {
    const lcpp = await startFakeLlamaCpp({ model: 'qwen3-coder-30b-a3b-q4_k_m.gguf', nCtx: 32_768, nCtxTrain: 262_144 });
    try {
      const { service } = harness({ llamacpp: lcpp.url });
      const models = await service.listModels();
      assert.deepEqual(
        models.map((m) => m.id),
        ['llamacpp/qwen3-coder-30b-a3b-q4_k_m.gguf'],
      );
      // n_ctx 32,768 (not the trained 262,144): 32,768 - 8,192 = 24,576 for the prompt.
      assert.deepEqual([models[0].maxInputTokens, models[0].maxOutputTokens], [24_576, 8_192]);
      assert.deepEqual(models[0].capabilities, { toolCalling: true, imageInput: false });
      // meta.n_params 30,532,122,624 → "30.5B"; meta.size 18,556,685,024 bytes → "18 GB".
      assert.equal(models[0].detail, 'llama.cpp · 30.5B · 18 GB');
    } finally {
      await lcpp.close();
    }
  });

  test('streams an answer with usage asked for; cached prompt tokens kept apart; avoided spend at the displaced model', async () => {
    const lcpp = await startFakeLlamaCpp({ model: 'tiny.gguf' });
    try {
      lcpp.next({ text: 'Done here.' });
      const { service, recorded } = harness({ llamacpp: lcpp.url });
      const r = await ask(service, on('llamacpp', 'tiny.gguf'));
      assert.equal(r.text, 'Done here.');
      const req = lcpp.requests.find((q) => q.method === 'POST')!;
      assert.equal(req.path, '/v1/chat/completions');
      assert.deepEqual(req.json.stream_options, { include_usage: true });
      assert.equal(recorded.length, 1);
      assert.deepEqual(
        [recorded[0].route, recorded[0].replaces, recorded[0].model, recorded[0].estimated],
        ['local', 'claude-sonnet-4-5', 'tiny.gguf', false],
      );
      // LLAMACPP_CHAT_USAGE: prompt_tokens 40 of which cached_tokens 16, completion_tokens 6.
      assert.deepEqual(recorded[0].tokens, { input: 24, output: 6, cacheRead: 16, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 });
      const priced = priceInteraction(recorded[0], prices);
      // claude-sonnet-4-5: 3,000 in, 300 cache read, 15,000 out (nano-dollars a token).
      // 24 × 3,000 + 16 × 300 + 6 × 15,000 = 72,000 + 4,800 + 90,000 = 166,800 nano-dollars.
      assert.deepEqual([priced.costNanos, priced.avoidedNanos], [0, 166_800]);
    } finally {
      await lcpp.close();
    }
  });

  test('a server still loading its model (503) says so; nothing is metered', async () => {
    const lcpp = await startFakeLlamaCpp({ model: 'tiny.gguf' });
    try {
      lcpp.next({ error: { status: 503, message: 'Loading model' } });
      const { service, recorded } = harness({ llamacpp: lcpp.url });
      await assert.rejects(ask(service, on('llamacpp', 'tiny.gguf')), (e: ChatError) => {
        assert.equal(e.code, 'E_CHAT_UPSTREAM');
        assert.equal(
          e.message,
          `llama.cpp at ${lcpp.url} failed to answer with "tiny.gguf" (503: Loading model) (it is still loading its model: try again in a moment).`,
        );
        return true;
      });
      assert.equal(recorded.length, 0);
    } finally {
      await lcpp.close();
    }
  });
});

describe('editor chat: a model not on this machine is never spend avoided', { timeout: 30_000 }, () => {
  test('an Ollama cloud model is metered as cloud (unpriced), not as avoided spend', async () => {
    const ol = await startFakeOllama({
      models: [{ name: 'gpt-oss:120b-cloud', family: 'gptoss', contextLength: 131_072, capabilities: ['completion', 'tools'] }],
    });
    try {
      ol.next({ text: 'From the cloud.', usage: { prompt_eval_count: 50, eval_count: 4 } });
      const { service, recorded } = harness({ ollama: ol.url });
      const [listed] = await service.listModels();
      assert.match(listed.tooltip!, /Metered by Unmetered as cloud, not as spend avoided: gpt-oss:120b-cloud runs in Ollama's cloud/);
      await ask(service, on('ollama', 'gpt-oss:120b-cloud'));
      assert.deepEqual([recorded[0].route, recorded[0].replaces, recorded[0].model], ['cloud', null, 'gpt-oss:120b-cloud']);
      const priced = priceInteraction(recorded[0], prices);
      assert.deepEqual([priced.costNanos, priced.avoidedNanos], [null, null]);
    } finally {
      await ol.close();
    }
  });

  test('an LM Studio on another host is metered as cloud, not as avoided spend', async () => {
    const lms = await startFakeLmStudio({ models: LM_MODELS });
    const remote = 'http://gpu-box.test:1234';
    // The address names another machine; the bytes go to the stand-in on loopback.
    const viaLoopback: typeof fetch = (input, init) =>
      fetch(String(input instanceof Request ? input.url : input).replace(remote, lms.url), init);
    try {
      lms.next({ text: 'Remote answer.' });
      const { service, recorded } = harness({ lmstudio: remote, fetch: viaLoopback });
      const listed = await service.listModels();
      assert.match(listed[0].tooltip!, /as cloud, not as spend avoided: the LM Studio host http:\/\/gpu-box\.test:1234 is another machine/);
      const r = await ask(service, on('lmstudio', 'qwen/qwen3-coder-30b'));
      assert.equal(r.text, 'Remote answer.');
      assert.deepEqual([recorded[0].route, recorded[0].replaces, recorded[0].model], ['cloud', null, 'qwen/qwen3-coder-30b']);
      assert.equal(priceInteraction(recorded[0], prices).avoidedNanos, null);
    } finally {
      await lms.close();
    }
  });
});
