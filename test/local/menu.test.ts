// The status bar menu's local rows (core/local/menu.ts) against the stand-ins of Ollama, LM Studio and
// llama-server: each model as "Local: <model> (<server>)", the ones that cannot serve an agent with the
// reason, and for LM Studio and llama-server, which cannot pull, a row saying so instead of a pull that fails.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { normaliseGatewaySettings } from '../../src/core/gateway/settings';
import { localMenuRows } from '../../src/core/local/menu';
import { startFakeOllama } from '../helpers/fake-vendors';
import { startFakeLlamaCpp, startFakeLmStudio } from '../helpers/fake-local';
import { closedUrl } from '../helpers/net';

describe('the local rows of the status bar menu', { timeout: 30_000 }, () => {
  test('LM Studio and llama-server running, Ollama not: their models, and a row each saying it cannot pull', async () => {
    const lms = await startFakeLmStudio({
      models: [
        { key: 'qwen/qwen3-coder-30b', maxContextLength: 262_144, tools: true, loadedContext: 65_536 },
        { key: 'google/gemma-3-270m', maxContextLength: 32_768, tools: false },
      ],
    });
    const lcpp = await startFakeLlamaCpp({ model: 'tiny.gguf' });
    const nowhere = await closedUrl();
    try {
      const settings = normaliseGatewaySettings({
        'ollama.host': nowhere,
        'lmstudio.host': lms.url,
        'llamacpp.host': lcpp.url,
        route: 'local',
        localModel: 'tiny.gguf',
        localServer: 'llamacpp',
      }).value;
      const rows = await localMenuRows(settings);
      assert.deepEqual(
        rows.map((r) => [r.kind, r.label]),
        [
          ['use', 'Local: qwen/qwen3-coder-30b (LM Studio)'],
          ['notOffered', 'google/gemma-3-270m (LM Studio)'],
          ['cannotPull', 'LM Studio cannot pull models here'],
          ['use', 'Local: tiny.gguf (llama.cpp)'],
          ['cannotPull', 'llama.cpp cannot pull models here'],
        ],
      );
      const [qwen, gemma, lmsPull, tiny, llamaPull] = rows;
      assert.deepEqual([qwen.kind === 'use' && qwen.current, tiny.kind === 'use' && tiny.current], [false, true]);
      assert.equal(gemma.description, 'not offered: no tool support (coding agents call tools)');
      assert.equal(
        lmsPull.kind === 'cannotPull' && lmsPull.message,
        'Unmetered: Unmetered does not download models into LM Studio: get one with `lms get <model>` or in the Discover tab of the LM Studio app.',
      );
      assert.equal(
        llamaPull.kind === 'cannotPull' && llamaPull.message,
        'Unmetered: llama-server serves the one model it was started with and cannot pull: ' +
          'restart it with `-m <model.gguf>` (or `-hf <repo>`) to serve another.',
      );
    } finally {
      await Promise.all([lms.close(), lcpp.close()]);
    }
  });

  test('Ollama can pull: no such row for it; nothing reachable: one row naming the three addresses', async () => {
    const ol = await startFakeOllama({
      models: [{ name: 'qwen3-coder:30b', contextLength: 262_144, capabilities: ['completion', 'tools'] }],
    });
    const nowhere = await closedUrl();
    try {
      const rows = await localMenuRows(
        normaliseGatewaySettings({ 'ollama.host': ol.url, 'lmstudio.host': nowhere, 'llamacpp.host': nowhere }).value,
      );
      assert.deepEqual(
        rows.map((r) => [r.kind, r.label]),
        [['use', 'Local: qwen3-coder:30b (Ollama)']],
      );
    } finally {
      await ol.close();
    }
    const none = await localMenuRows(
      normaliseGatewaySettings({ 'ollama.host': nowhere, 'lmstudio.host': nowhere, 'llamacpp.host': nowhere }).value,
    );
    assert.equal(none.length, 1);
    assert.equal(none[0].kind, 'noServer');
    assert.equal(none[0].description, `Ollama ${nowhere}, LM Studio ${nowhere}, llama.cpp ${nowhere}`);
    assert.match(none[0].kind === 'noServer' ? none[0].message : '', new RegExp(`^Ollama is not running at ${nowhere}\\.`));
  });
});
