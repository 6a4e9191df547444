import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_GATEWAY_PORT, normaliseGatewayListen, normaliseGatewaySettings } from '../../src/core/gateway';
import { normaliseFlag } from '../../src/core/normalise';
import { gatewayConfigOf } from '../../src/core/gateway/settings';

test('defaults when nothing is set', () => {
  assert.deepEqual(normaliseGatewaySettings({}), {
    value: {
      ollamaHost: 'http://127.0.0.1:11434',
      port: DEFAULT_GATEWAY_PORT,
      anthropicUpstream: 'https://api.anthropic.com',
      openaiUpstream: 'https://api.openai.com',
      route: 'cloud',
      localModel: null,
      localServer: 'ollama',
      lmstudioHost: 'http://127.0.0.1:1234',
      llamacppHost: 'http://127.0.0.1:8080',
    },
    warnings: [],
  });
});

test('good values are kept; trailing slashes and a pasted /v1 are dropped', () => {
  const r = normaliseGatewaySettings({
    'ollama.host': 'http://gpu-box:11434/',
    'gateway.port': '9000',
    'gateway.anthropicUpstream': 'https://llm-proxy.corp/anthropic/',
    'gateway.openaiUpstream': 'https://api.openai.com/v1',
    route: 'local',
    localModel: 'qwen3-coder:30b',
    localServer: 'lmstudio',
    'lmstudio.host': 'http://127.0.0.1:1234/v1',
    'llamacpp.host': 'http://[::1]:8081/',
  });
  assert.deepEqual(r.value, {
    ollamaHost: 'http://gpu-box:11434',
    port: 9000,
    anthropicUpstream: 'https://llm-proxy.corp/anthropic',
    openaiUpstream: 'https://api.openai.com',
    route: 'local',
    localModel: 'qwen3-coder:30b',
    localServer: 'lmstudio',
    lmstudioHost: 'http://127.0.0.1:1234',
    llamacppHost: 'http://[::1]:8081',
  });
  assert.deepEqual(r.warnings, []);
});

test('bad values fall back to the default with a warning naming the setting, what was expected and what arrived', () => {
  const r = normaliseGatewaySettings({
    'ollama.host': 'ftp://x',
    'gateway.port': 80,
    'gateway.openaiUpstream': 'not a url',
    route: 'offline',
    localModel: 'bad name!',
    localServer: 'jan',
    'llamacpp.host': 'localhost:8080',
  });
  assert.deepEqual(r.value, normaliseGatewaySettings({}).value);
  assert.deepEqual(r.warnings, [
    'unmetered.ollama.host: expected an http:// or https:// URL such as "http://127.0.0.1:11434", got "ftp://x"; using http://127.0.0.1:11434',
    `unmetered.gateway.port: expected a port number from 1024 to 65535, got 80; using ${DEFAULT_GATEWAY_PORT}`,
    'unmetered.gateway.openaiUpstream: expected an http:// or https:// URL such as "https://api.openai.com", got "not a url"; using https://api.openai.com',
    'unmetered.route: expected "cloud" or "local", got "offline"; using "cloud"',
    'unmetered.localModel: expected a model name such as "qwen3-coder:30b", got "bad name!"; no local model is chosen',
    'unmetered.localServer: expected "ollama", "lmstudio" or "llamacpp", got "jan"; using "ollama"',
    'unmetered.llamacpp.host: expected an http:// or https:// URL such as "http://127.0.0.1:8080", got "localhost:8080"; using http://127.0.0.1:8080',
  ]);
});

describe('unmetered.gateway.listen and the true/false settings', { timeout: 10_000 }, () => {
  it('keeps "always" and "whenRouted"; anything else listens only when routed, with a warning naming the setting', () => {
    assert.deepEqual(normaliseGatewayListen('always'), { value: 'always', warnings: [] });
    assert.deepEqual(normaliseGatewayListen(undefined), { value: 'whenRouted', warnings: [] });
    const r = normaliseGatewayListen('sometimes');
    assert.equal(r.value, 'whenRouted');
    assert.deepEqual(r.warnings, ['unmetered.gateway.listen: expected "whenRouted" or "always", got "sometimes"; using "whenRouted"']);
  });

  it('takes only a real true as true: the string "true" is a mistake said in a warning', () => {
    assert.deepEqual(normaliseFlag('unmetered.copilot.billedPerToken', true), { value: true, warnings: [] });
    assert.deepEqual(normaliseFlag('unmetered.copilot.billedPerToken', undefined), { value: false, warnings: [] });
    assert.deepEqual(normaliseFlag('unmetered.copilot.billedPerToken', 'true'), {
      value: false,
      warnings: ['unmetered.copilot.billedPerToken: expected true or false, got "true"; using false'],
    });
  });
});

describe('the local server the gateway serves with (extension and CLI alike)', { timeout: 10_000 }, () => {
  it('serves with the named server at its own host setting', () => {
    const s = normaliseGatewaySettings({
      route: 'local',
      localModel: 'qwen/qwen3-coder-30b',
      localServer: 'lmstudio',
      'lmstudio.host': 'http://127.0.0.1:4321',
    }).value;
    assert.deepEqual(gatewayConfigOf(s), {
      route: 'local',
      localModel: 'qwen/qwen3-coder-30b',
      anthropicUpstream: 'https://api.anthropic.com',
      openaiUpstream: 'https://api.openai.com',
      ollamaHost: 'http://127.0.0.1:11434',
      localServer: { kind: 'lmstudio', host: 'http://127.0.0.1:4321' },
    });
  });

  it("takes a model name as its server names it: llama-server's -m path, not only Ollama's name:tag", () => {
    // llama-server's model id is the path given to -m unless --alias is set (tools/server/README.md, GET /v1/models).
    const llama = normaliseGatewaySettings({ localServer: 'llamacpp', localModel: '../models/Qwen3 Coder Q4_K_M.gguf' });
    assert.deepEqual([llama.value.localModel, llama.warnings], ['../models/Qwen3 Coder Q4_K_M.gguf', []]);
    const ollama = normaliseGatewaySettings({ localModel: '../models/Qwen3 Coder Q4_K_M.gguf' });
    assert.equal(ollama.value.localModel, null);
    assert.match(ollama.warnings[0], /^unmetered\.localModel: expected a model name such as "qwen3-coder:30b"/);
    const control = normaliseGatewaySettings({ localServer: 'lmstudio', localModel: 'a\u0007b' });
    assert.deepEqual([control.value.localModel, control.warnings.length], [null, 1]);
    assert.match(control.warnings[0], /expected the model's name as LM Studio lists it/);
  });
});
