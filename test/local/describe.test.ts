import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeModel, describePull, formatBytes } from '../../src/core/local/describe';

test('bytes read the way Ollama and people write them', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KB');
  // as `ollama list` prints them (format/bytes.go HumanBytes): decimal units, whole numbers from 10 up
  assert.equal(formatBytes(18_556_700_761), '18 GB');
  assert.equal(formatBytes(4_683_087_332), '4.7 GB');
  assert.equal(formatBytes(2_000_000_000), '2 GB');
  assert.equal(formatBytes(200 * 1024 * 1024), '209 MB');
});

test('a model is described by size class, quantisation and disk size', () => {
  assert.equal(
    describeModel({
      name: 'qwen3-coder:30b',
      size: 18_556_700_761,
      family: 'qwen3moe',
      parameterSize: '30.5B',
      quantization: 'Q4_K_M',
      modifiedAt: null,
    }),
    '30.5B · Q4_K_M · 18 GB',
  ); // 18.56 GB decimal, as ollama list says
  assert.equal(describeModel({ name: 'x', size: 0, family: null, parameterSize: null, quantization: null, modifiedAt: null }), '');
});

test('a pull line names the layer, its bytes and percent, and the overall percent', () => {
  assert.equal(describePull({ status: 'pulling manifest', layer: null, completed: 0, total: 0, percent: null }), 'pulling manifest');
  assert.equal(
    // 1,073,741,824 B = 1.07 GB; 2,147,483,648 B = 2.15 GB (decimal units)
    describePull({
      status: 'pulling 3a2f',
      layer: { digest: 'sha256:3a2f9b1c0d4e5f6a7b8c', completed: 1_073_741_824, total: 2_147_483_648, percent: 50 },
      completed: 1_073_741_824,
      total: 2_200_000_000,
      percent: 48.8,
    }),
    'layer 3a2f9b1c0d4e: 1.1 GB of 2.1 GB (50%) · overall 48.8%',
  );
  assert.equal(describePull({ status: 'success', layer: null, completed: 10, total: 10, percent: 100 }), 'done');
});
