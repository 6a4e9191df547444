import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createOllama } from '../../src/core/local/ollama';
import { isCloudModel, isLoopbackHost, localCandidates, notLocalReason } from '../../src/core/local/where';
import { startFakeOllama, type FakeOllama } from '../helpers/fake-vendors';

describe('what is really local', { timeout: 30_000 }, () => {
  let ollama: FakeOllama;
  before(async () => {
    ollama = await startFakeOllama({
      models: [
        { name: 'qwen3-coder:30b', family: 'qwen3moe', contextLength: 262_144, capabilities: ['completion', 'tools'] },
        { name: 'qwen2.5-coder:7b', family: 'qwen2', contextLength: 32_768, capabilities: ['completion', 'tools', 'insert'] },
        { name: 'gemma3:4b', family: 'gemma3', contextLength: 131_072, capabilities: ['completion', 'vision'] },
        { name: 'gpt-oss:120b-cloud', family: 'gptoss', contextLength: 131_072, capabilities: ['completion', 'tools'] },
        { name: 'devstral:24b', family: 'mistral3', contextLength: 65_536, capabilities: ['completion', 'tools'] },
      ],
    });
  });
  after(() => ollama.close());

  test("Ollama's cloud models by name: a `cloud` tag or one ending in `-cloud`", () => {
    for (const n of ['gpt-oss:120b-cloud', 'gemma4:cloud', 'library/kimi-k2:1t-cloud', 'qwen3-coder:480b-cloud'])
      assert.equal(isCloudModel(n), true, n);
    for (const n of ['qwen3-coder:30b', 'cloud-coder:7b', 'cloud', 'my-cloud-model', 'qwen3-coder'])
      assert.equal(isCloudModel(n), false, n);
  });

  test('loopback hosts are this machine; anything else is another one', () => {
    for (const h of [
      'http://127.0.0.1:11434',
      'http://localhost:11434',
      'http://[::1]:11434',
      'http://127.1.2.3:80',
      'http://ollama.localhost',
    ])
      assert.equal(isLoopbackHost(h), true, h);
    for (const h of [
      'http://192.168.1.20:11434',
      'https://ollama.com',
      'http://gpu-box:11434',
      'not a url',
      'http://127.0.0.1.example.com',
    ])
      assert.equal(isLoopbackHost(h), false, h);
    assert.equal(
      notLocalReason('qwen3-coder:30b', 'http://192.168.1.20:11434'),
      'the Ollama host http://192.168.1.20:11434 is another machine',
    );
    assert.equal(notLocalReason('qwen3-coder:30b', 'http://127.0.0.1:11434'), null);
  });

  test('the local route offers models with tools and a 64k window on this machine, and says why not the others', async () => {
    const o = createOllama({ host: ollama.url });
    const judged = await localCandidates(o, await o.list());
    assert.deepEqual(
      judged.map((c) => [c.model.name, c.reason]),
      [
        ['qwen3-coder:30b', null],
        ['qwen2.5-coder:7b', 'a 32,768-token context window (agents need 65,536)'],
        ['gemma3:4b', 'no tool support (coding agents call tools)'],
        ['gpt-oss:120b-cloud', "gpt-oss:120b-cloud runs in Ollama's cloud, not on this machine"],
        ['devstral:24b', null], // exactly 65,536: enough
      ],
    );
  });

  test('a model whose details cannot be read is still offered, and an empty list is fine', async () => {
    const o = createOllama({ host: ollama.url });
    const judged = await localCandidates(o, [
      { name: 'ghost:1b', size: 1, family: null, parameterSize: null, quantization: null, modifiedAt: null },
    ]);
    assert.deepEqual(
      judged.map((c) => c.reason),
      [null],
    );
    assert.deepEqual(await localCandidates(o, []), []);
  });
});
