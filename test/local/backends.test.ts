import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLmStudio } from '../../src/core/local/lmstudio';
import { createLlamaCpp } from '../../src/core/local/llamacpp';
import { createBackend, detectBackends } from '../../src/core/local/servers';
import { localCandidates, notLocalReason } from '../../src/core/local/where';
import { startFakeOllama, type FakeOllama } from '../helpers/fake-vendors';
import { startFakeLlamaCpp, startFakeLmStudio, type FakeLlamaCpp, type FakeLmStudio } from '../helpers/fake-local';

/** A port that was free a moment ago: nothing listens there. */
async function closedPort(): Promise<string> {
  const s = http.createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((ok) => s.close(() => ok()));
  return `http://127.0.0.1:${port}`;
}

describe('LM Studio and llama.cpp as local back-ends', { timeout: 30_000 }, () => {
  let lms: FakeLmStudio;
  let lcpp: FakeLlamaCpp;
  let ollama: FakeOllama;
  before(async () => {
    lms = await startFakeLmStudio({
      models: [
        { key: 'qwen/qwen3-coder-30b', maxContextLength: 262_144, tools: true, loadedContext: 65_536, paramsString: '30B' },
        { key: 'google/gemma-3-270m', maxContextLength: 32_768, tools: false, loadedContext: 4096 },
        { key: 'text-embedding-nomic-embed-text-v1.5', maxContextLength: 2048, tools: false, type: 'embedding' },
      ],
    });
    lcpp = await startFakeLlamaCpp({ model: 'tiny.gguf', nCtx: 8192, nCtxTrain: 131_072 });
    ollama = await startFakeOllama({
      models: [{ name: 'qwen3-coder:30b', contextLength: 262_144, capabilities: ['completion', 'tools'] }],
    });
  });
  after(() => Promise.all([lms.close(), lcpp.close(), ollama.close()]));

  test('LM Studio: its LLMs with trained window, tool training and loaded window; embedding models left out', async () => {
    const b = createLmStudio({ host: lms.url });
    assert.deepEqual(
      (await b.list()).map((m) => [m.name, m.parameterSize, m.quantization]),
      [
        ['qwen/qwen3-coder-30b', '30B', 'Q4_K_M'],
        ['google/gemma-3-270m', '30B', 'Q4_K_M'],
      ],
    );
    const d = await b.show('qwen/qwen3-coder-30b');
    assert.equal(d.contextLength, 262_144);
    assert.equal(d.capabilities.tools, true);
    assert.deepEqual(await b.loadedContextLength('qwen/qwen3-coder-30b'), { loaded: true, contextLength: 65_536, warning: null });
    const small = await b.loadedContextLength('google/gemma-3-270m');
    assert.equal(small.contextLength, 4096);
    assert.match(small.warning ?? '', /4,096-token context window; coding agents need at least 65,536/);
    await assert.rejects(b.show('nope'), /LM Studio at http:\/\/127\.0\.0\.1:\d+ has no model "nope"/);
    assert.equal(b.puller, null);
    assert.match(b.pullUnsupported ?? '', /lms get/);
  });

  test('llama.cpp: the one model it serves, its trained window, the slot window from /props and tool calls from the template', async () => {
    const b = createLlamaCpp({ host: lcpp.url });
    const s = await b.status();
    assert.deepEqual(s, { running: true, host: lcpp.url, version: 'b1-de3ff81' });
    assert.deepEqual(
      (await b.list()).map((m) => [m.name, m.size, m.parameterSize]),
      [['tiny.gguf', 18_556_685_024, '30.5B']],
    );
    const d = await b.show('tiny.gguf');
    assert.equal(d.contextLength, 131_072);
    assert.equal(d.capabilities.tools, true);
    const loaded = await b.loadedContextLength('tiny.gguf');
    assert.equal(loaded.contextLength, 8192);
    assert.match(loaded.warning ?? '', /8,192-token context window/);
    lcpp.toolCalls = false;
    assert.equal((await b.show('tiny.gguf')).capabilities.tools, false);
    lcpp.toolCalls = true;
    assert.equal(b.puller, null);
    assert.match(b.pullUnsupported ?? '', /cannot pull: restart it with `-m <model.gguf>`/);
  });

  test('llama.cpp still loading its model is not running, and says so', async () => {
    lcpp.loading = true;
    try {
      const s = await createLlamaCpp({ host: lcpp.url }).status();
      assert.equal(s.running, false);
      assert.match(s.running ? '' : s.error, /answered 503 to GET \/health \(it is still loading its model\)/);
    } finally {
      lcpp.loading = false;
    }
  });

  test('a server that is not there is reported as not running, with how to start it and the setting to change', async () => {
    const host = await closedPort();
    const s = await createBackend('lmstudio', host).status();
    assert.deepEqual(s, {
      running: false,
      host,
      error:
        `LM Studio is not running at ${host}. Start its server with \`lms server start\` (or the toggle` +
        ` on the Developer page of the LM Studio app); if it runs elsewhere, set unmetered.lmstudio.host.`,
    });
    await assert.rejects(createBackend('llamacpp', host).list(), /llama\.cpp is not running at .*set unmetered\.llamacpp\.host\./);
  });

  test('detection asks each configured address and reports which servers answer', async () => {
    const detected = await detectBackends({ ollama: ollama.url, lmstudio: lms.url, llamacpp: await closedPort() });
    assert.deepEqual(
      detected.map((d) => [d.backend.kind, d.status.running]),
      [
        ['ollama', true],
        ['lmstudio', true],
        ['llamacpp', false],
      ],
    );
  });

  test('a server on another machine is not local for any back-end; only Ollama names cloud models by tag', () => {
    assert.equal(
      notLocalReason('qwen/qwen3-coder-30b', 'http://192.168.1.20:1234', 'lmstudio'),
      'the LM Studio host http://192.168.1.20:1234 is another machine',
    );
    assert.equal(
      notLocalReason('tiny.gguf', 'http://gpu-box:8080', 'llamacpp'),
      'the llama.cpp host http://gpu-box:8080 is another machine',
    );
    assert.equal(notLocalReason('my-model:cloud', 'http://127.0.0.1:1234', 'lmstudio'), null);
    assert.equal(
      notLocalReason('gpt-oss:120b-cloud', 'http://127.0.0.1:11434', 'ollama'),
      "gpt-oss:120b-cloud runs in Ollama's cloud, not on this machine",
    );
  });

  test('the local route offers LM Studio models with tool training and a large enough window', async () => {
    const b = createLmStudio({ host: lms.url });
    const judged = await localCandidates(b, await b.list());
    assert.deepEqual(
      judged.map((c) => [c.model.name, c.reason]),
      [
        ['qwen/qwen3-coder-30b', null],
        ['google/gemma-3-270m', 'no tool support (coding agents call tools)'],
      ],
    );
  });
});
