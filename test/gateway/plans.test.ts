import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { validateInteraction } from '../../src/core/interaction';
import { loadPriceTable, priceInteraction } from '../../src/core/pricing';
import { readRateLimits } from '../../src/core/plans/limits';
import { anthropicHeaders, startHarness, type Harness } from './harness';

const recorded = JSON.parse(readFileSync(path.join(__dirname, '../plans/fixtures/anthropic-unified-headers.json'), 'utf8')) as {
  headers: Record<string, string>;
};
const unified = Object.fromEntries(Object.entries(recorded.headers).filter(([k]) => k.startsWith('anthropic-ratelimit-')));

let h: Harness;
before(async () => (h = await startHarness()));
after(() => h.close());
beforeEach(() => {
  h.interactions.length = 0;
  h.config.route = 'cloud';
  h.config.localModel = 'qwen3-coder:30b';
  h.config.ollamaHost = h.ollama.url;
});

const ask = (model = 'claude-sonnet-4-5', stream = true) =>
  fetch(`${h.url}/v1/messages`, {
    method: 'POST',
    headers: anthropicHeaders,
    body: JSON.stringify({ model, max_tokens: 64, stream, messages: [{ role: 'user', content: 'hi' }] }),
  }).then((r) => r.text());

describe('the gateway reads plan limits and keeps local honest', { timeout: 30_000 }, () => {
  test("Anthropic's unified rate-limit headers ride on the recorded interaction, once while unchanged", async () => {
    h.anthropic.next({ id: 'msg_rl1', headers: unified }, { id: 'msg_rl2', headers: unified });
    await ask();
    await ask('claude-sonnet-4-5', false);
    await h.gateway.settled();
    assert.equal(h.interactions.length, 2);
    const first = readRateLimits((h.interactions[0] as { rateLimits?: unknown }).rateLimits)!;
    // The harness clock is pinned at 2026-03-02T10:00:00Z: resets within 60 days of it are believed, these
    // (December 2026) are not, so the windows keep their use and lose their reset.
    assert.equal(first.at, '2026-03-02T10:00:00.000Z');
    assert.deepEqual(
      first.windows.map((w) => [w.key, w.usedPercent, w.status]),
      [
        ['5h', 42, 'allowed'],
        ['7d', 18.5, 'allowed'],
      ],
    );
    assert.equal(first.windows[0].resetsAt, null);
    assert.equal((h.interactions[1] as { rateLimits?: unknown }).rateLimits, undefined, 'the same state is not written twice');
    validateInteraction(h.interactions[0]);
  });

  test('a response without the headers (an API key) carries no state', async () => {
    h.anthropic.next({ id: 'msg_rl3' });
    await ask();
    await h.gateway.settled();
    assert.equal((h.interactions[0] as { rateLimits?: unknown }).rateLimits, undefined);
  });

  test("a model served by Ollama but running in Ollama's cloud is recorded as cloud: no spend avoided", async () => {
    h.config.route = 'local';
    h.config.localModel = 'gpt-oss:120b-cloud';
    h.ollama.models = [{ name: 'gpt-oss:120b-cloud', capabilities: ['completion', 'tools'], contextLength: 131_072 }];
    h.ollama.next({ id: 'msg_cloud1', usage: { input_tokens: 1000, output_tokens: 100 } });
    await ask();
    await h.gateway.settled();
    const i = validateInteraction(h.interactions[0]);
    assert.equal(i.model, 'gpt-oss:120b-cloud');
    assert.equal(i.route, 'cloud');
    assert.equal(i.replaces, null, 'it stood in for nothing it saved');
    const priced = priceInteraction(i, loadPriceTable());
    assert.equal(priced.avoidedNanos, null);
  });

  test('a model on this machine stays local and its avoided spend is priced', async () => {
    h.config.route = 'local';
    h.config.localModel = 'qwen3-coder:30b';
    h.ollama.models = [{ name: 'qwen3-coder:30b', capabilities: ['completion', 'tools'], contextLength: 262_144 }];
    h.ollama.next({ id: 'msg_local9', usage: { input_tokens: 1000, output_tokens: 100 } });
    await ask();
    await h.gateway.settled();
    const i = validateInteraction(h.interactions[0]);
    assert.equal(i.route, 'local');
    assert.equal(i.replaces, 'claude-sonnet-4-5');
    // claude-sonnet-4-5 at $3 / $15 per million: 1000 × 3,000 + 100 × 15,000 nano-dollars = 4,500,000
    assert.equal(priceInteraction(i, loadPriceTable()).avoidedNanos, 4_500_000);
  });
});
