// Builds src/core/otlp/otlp-descriptor.json from the vendored official .proto files (src/core/otlp/proto), so the
// runtime needs only protobufjs/light (no .proto parser in the bundle). Run by a person after updating the .proto
// files: `node src/tools/otlp-proto.mjs`. test/otlp/descriptor.test.ts fails when the committed JSON drifts.
import protobuf from 'protobufjs';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const PROTO_ROOT = path.join(here, '..', 'core', 'otlp', 'proto');
export const PROTO_FILES = [
  'opentelemetry/proto/collector/logs/v1/logs_service.proto',
  'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
];

export function buildDescriptor() {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => path.join(PROTO_ROOT, target);
  root.loadSync(PROTO_FILES, { keepCase: false });
  root.resolveAll();
  return root.toJSON();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = path.join(PROTO_ROOT, '..', 'otlp-descriptor.json');
  writeFileSync(out, JSON.stringify(buildDescriptor()) + '\n');
  console.log(`wrote ${out}`);
}
