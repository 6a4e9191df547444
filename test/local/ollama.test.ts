import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOllama, MIN_AGENT_CONTEXT, type PullProgress } from '../../src/core/local/ollama';
import { UnmeteredError } from '../../src/core/errors';
import { startFakeOllama, type FakeOllama } from '../helpers/fake-vendors';

let ollama: FakeOllama;

before(async () => {
  ollama = await startFakeOllama({
    models: [
      {
        name: 'qwen3-coder:30b',
        size: 18_556_700_761,
        family: 'qwen3moe',
        parameterSize: '30.5B',
        quantization: 'Q4_K_M',
        contextLength: 262_144,
        capabilities: ['completion', 'tools'],
        loadedContext: 4096,
      },
      {
        name: 'llava:latest',
        family: 'llama',
        parameterSize: '7B',
        quantization: 'Q4_0',
        contextLength: 32_768,
        capabilities: ['completion', 'vision'],
      },
      {
        name: 'gpt-oss:20b',
        family: 'gptoss',
        contextLength: 131_072,
        capabilities: ['completion', 'tools', 'thinking'],
        loadedContext: 131_072,
      },
    ],
  });
});
after(() => ollama.close());

async function closedPortUrl(): Promise<string> {
  const s = http.createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((ok) => s.close(() => ok()));
  return `http://127.0.0.1:${port}`;
}

test('status reports the running version', async () => {
  ollama.version = '0.14.3';
  assert.deepEqual(await createOllama({ host: ollama.url }).status(), { running: true, host: ollama.url, version: '0.14.3' });
});

test('status of an absent Ollama says how to install or start it, without throwing', async () => {
  const host = await closedPortUrl();
  const s = await createOllama({ host }).status();
  assert.equal(s.running, false);
  assert.ok(!s.running && s.error.includes(`not running at ${host}`), JSON.stringify(s));
  assert.ok(
    !s.running && s.error.includes('ollama serve') && s.error.includes('ollama.com/download') && s.error.includes('unmetered.ollama.host'),
  );
});

test('list gives name, size, family, parameter size and quantisation', async () => {
  const models = await createOllama({ host: ollama.url }).list();
  assert.deepEqual(models[0], {
    name: 'qwen3-coder:30b',
    size: 18_556_700_761,
    family: 'qwen3moe',
    parameterSize: '30.5B',
    quantization: 'Q4_K_M',
    modifiedAt: '2026-01-10T09:00:00.000000000Z',
  });
  assert.deepEqual(
    models.map((m) => m.name),
    ['qwen3-coder:30b', 'llava:latest', 'gpt-oss:20b'],
  );
});

test('list against an absent Ollama throws one clear error', async () => {
  const host = await closedPortUrl();
  await assert.rejects(
    createOllama({ host }).list(),
    (e: unknown) => e instanceof UnmeteredError && e.code === 'E_OLLAMA_UNREACHABLE' && e.message.includes(host),
  );
});

test('show reads the context length from model_info and the capabilities', async () => {
  const o = createOllama({ host: ollama.url });
  const q = await o.show('qwen3-coder:30b');
  assert.equal(q.contextLength, 262_144);
  assert.deepEqual(q.capabilities, { completion: true, tools: true, vision: false, thinking: false });
  assert.deepEqual((await o.show('llava')).capabilities, { completion: true, tools: false, vision: true, thinking: false });
  const g = await o.show('gpt-oss:20b');
  assert.equal(g.contextLength, 131_072);
  assert.equal(g.capabilities.thinking, true);
});

test('show of a model that is not pulled says how to pull it', async () => {
  await assert.rejects(
    createOllama({ host: ollama.url }).show('deepseek-r1:7b'),
    (e: unknown) =>
      e instanceof UnmeteredError &&
      e.code === 'E_OLLAMA_MODEL_NOT_FOUND' &&
      e.message.includes('ollama pull deepseek-r1:7b') &&
      e.message.includes('Pull a model'),
  );
});

test('loadedContextLength warns below 64k with how to raise it, and is quiet above', async () => {
  const o = createOllama({ host: ollama.url });
  const small = await o.loadedContextLength('qwen3-coder:30b');
  assert.equal(small.loaded, true);
  assert.equal(small.contextLength, 4096);
  assert.ok(small.warning?.includes('4,096-token'));
  assert.ok(small.warning?.includes(`OLLAMA_CONTEXT_LENGTH=${MIN_AGENT_CONTEXT}`) && small.warning.includes('num_ctx'));
  assert.deepEqual(await o.loadedContextLength('gpt-oss:20b'), { loaded: true, contextLength: 131_072, warning: null });
  assert.deepEqual(await o.loadedContextLength('llava'), { loaded: false, contextLength: null, warning: null });
});

test('pull streams per-layer bytes and an overall percentage, ending in success', async () => {
  ollama.pullScript = { layers: [1000, 200], steps: 4 };
  const seen: PullProgress[] = [];
  await createOllama({ host: ollama.url }).pull('tinyllama', (p) => seen.push(p));
  assert.equal(seen[0].status, 'pulling manifest');
  assert.equal(seen[0].percent, null);
  const firstLayerHalf = seen.find((p) => p.layer && p.layer.total === 1000 && p.layer.completed === 500)!;
  assert.equal(firstLayerHalf.layer!.percent, 50);
  assert.equal(firstLayerHalf.percent, 50);
  const secondLayerHalf = seen.find((p) => p.layer && p.layer.total === 200 && p.layer.completed === 100)!;
  assert.deepEqual([secondLayerHalf.completed, secondLayerHalf.total, secondLayerHalf.percent], [1100, 1200, 91.6]);
  assert.equal(seen.at(-1)!.status, 'success');
  assert.equal(seen.at(-1)!.percent, 100);
  assert.ok((await createOllama({ host: ollama.url }).list()).some((m) => m.name === 'tinyllama:latest'));
});

test('an error line in the pull stream is surfaced as it comes, after the progress before it', async () => {
  ollama.pullScript = { layers: [1000], steps: 4, errorAfter: 3, error: 'pull model manifest: file does not exist' };
  const seen: PullProgress[] = [];
  await assert.rejects(
    createOllama({ host: ollama.url }).pull('no-such-model', (p) => seen.push(p)),
    (e: unknown) =>
      e instanceof UnmeteredError &&
      e.code === 'E_OLLAMA_PULL' &&
      e.message === 'Pulling no-such-model failed: pull model manifest: file does not exist',
  );
  assert.equal(seen.length, 3);
  assert.ok(!(await createOllama({ host: ollama.url }).list()).some((m) => m.name.startsWith('no-such-model')));
});

test('a pull is cancelled by its AbortSignal mid-stream', async () => {
  ollama.pullScript = { layers: [1000], steps: 50, delayMs: 10 };
  const ac = new AbortController();
  const seen: PullProgress[] = [];
  const started = ollama.requests.length;
  await assert.rejects(
    createOllama({ host: ollama.url }).pull(
      'slow-model',
      (p) => {
        seen.push(p);
        if (seen.length === 3) ac.abort();
      },
      ac.signal,
    ),
    (e: unknown) => e instanceof UnmeteredError && e.code === 'E_CANCELLED',
  );
  const req = await ollama.settled(started);
  assert.equal(req.aborted, true, 'the server saw the client leave');
  assert.ok(seen.length < 10);
  assert.ok(!(await createOllama({ host: ollama.url }).list()).some((m) => m.name.startsWith('slow-model')));
});

test('a pull against an absent Ollama says it is not running', async () => {
  const host = await closedPortUrl();
  await assert.rejects(
    createOllama({ host }).pull('x', () => {}),
    (e: unknown) => e instanceof UnmeteredError && e.code === 'E_OLLAMA_UNREACHABLE',
  );
});
