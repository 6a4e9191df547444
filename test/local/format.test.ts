import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeModel, describePull, formatBytes } from '../../src/core/local/format';

test('bytes read the way Ollama and people write them', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KB');
  assert.equal(formatBytes(18_556_700_761), '17.3 GB');
  assert.equal(formatBytes(200 * 1024 * 1024), '200 MB');
});

test('a model is described by size class, quantisation and disk size', () => {
  assert.equal(describeModel({ name: 'qwen3-coder:30b', size: 18_556_700_761, family: 'qwen3moe', parameterSize: '30.5B', quantization: 'Q4_K_M', modifiedAt: null }), '30.5B · Q4_K_M · 17.3 GB');
  assert.equal(describeModel({ name: 'x', size: 0, family: null, parameterSize: null, quantization: null, modifiedAt: null }), '');
});

test('a pull line names the layer, its bytes and percent, and the overall percent', () => {
  assert.equal(describePull({ status: 'pulling manifest', layer: null, completed: 0, total: 0, percent: null }), 'pulling manifest');
  assert.equal(
    describePull({ status: 'pulling 3a2f', layer: { digest: 'sha256:3a2f9b1c0d4e5f6a7b8c', completed: 1_073_741_824, total: 2_147_483_648, percent: 50 }, completed: 1_073_741_824, total: 2_200_000_000, percent: 48.8 }),
    'layer 3a2f9b1c0d4e: 1.0 GB of 2.0 GB (50%) · overall 48.8%',
  );
  assert.equal(describePull({ status: 'success', layer: null, completed: 10, total: 10, percent: 100 }), 'done');
});
