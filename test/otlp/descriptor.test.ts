/**
 * The committed message descriptor is what the vendored official .proto files compile to, so the receiver
 * decodes with the OpenTelemetry definitions and nothing hand-edited.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
// @ts-expect-error: a plain .mjs tool without type declarations
import { buildDescriptor } from '../../src/tools/otlp-proto.mjs';

describe('OTLP descriptor', { timeout: 30_000 }, () => {
  test('src/core/otlp/otlp-descriptor.json matches the vendored .proto files (rebuild: node src/tools/otlp-proto.mjs)', () => {
    const committed: unknown = JSON.parse(readFileSync('src/core/otlp/otlp-descriptor.json', 'utf8'));
    assert.deepEqual(committed, JSON.parse(JSON.stringify(buildDescriptor())));
  });
});
