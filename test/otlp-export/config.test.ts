/**
 * Settings and the standard OpenTelemetry variables (opentelemetry-specification, protocol/exporter.md:
 * OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/logs and /v1/metrics appended, the per-signal variables are used
 * as they are; headers and resource attributes are comma-separated key=value with percent-encoded values).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { normaliseTelemetry } from '../../src/core/otlp/export/config';
import { backoffSeconds } from '../../src/core/otlp/export/session';

describe('telemetry settings', { timeout: 10_000 }, () => {
  test('off by default, to localhost:4318', () => {
    const { value, warnings } = normaliseTelemetry({}, {});
    assert.equal(value.enabled, false);
    assert.equal(value.logsUrl, 'http://localhost:4318/v1/logs');
    assert.equal(value.metricsUrl, 'http://localhost:4318/v1/metrics');
    assert.equal(value.projects, 'pseudonymise');
    assert.deepEqual(warnings, []);
  });

  test('the OTEL_* variables: base endpoint, per-signal endpoint, headers and resource attributes', () => {
    const { value } = normaliseTelemetry(
      { enabled: true },
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.corp:4318/',
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'https://metrics.corp/ingest',
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-tenant = acme',
        OTEL_RESOURCE_ATTRIBUTES: 'unmetered.team=payments,deployment.environment=dev',
      },
    );
    assert.equal(value.logsUrl, 'https://otel.corp:4318/v1/logs');
    assert.equal(value.metricsUrl, 'https://metrics.corp/ingest');
    assert.deepEqual(value.headers, { authorization: 'Bearer abc', 'x-tenant': 'acme' });
    assert.deepEqual(value.resource, { 'unmetered.team': 'payments', 'deployment.environment': 'dev' });
  });

  test('the endpoint setting wins over the variables, per-signal ones included', () => {
    const { value } = normaliseTelemetry(
      { endpoint: 'http://127.0.0.1:9999' },
      { OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://elsewhere/v1/logs' },
    );
    assert.equal(value.logsUrl, 'http://127.0.0.1:9999/v1/logs');
  });

  test('a bad value falls back with a warning that says what arrived', () => {
    const { value, warnings } = normaliseTelemetry(
      { enabled: 'yes', endpoint: 'ftp://x', projects: 'hide', attributes: 'all', intervalSeconds: 1, batchSize: 1.5 },
      { OTEL_EXPORTER_OTLP_HEADERS: '=nokey' },
    );
    assert.equal(value.enabled, false);
    assert.equal(value.logsUrl, 'http://localhost:4318/v1/logs');
    assert.equal(value.projects, 'pseudonymise');
    assert.equal(value.allow, null);
    assert.equal(value.intervalSeconds, 60);
    assert.equal(value.batchSize, 2000);
    assert.equal(warnings.length, 7);
    assert.ok(warnings.some((w) => w.includes('"ftp://x"')));
  });

  test('back-off doubles from the interval and stops at an hour', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 6, 7, 40].map((f) => backoffSeconds(60, f)),
      [60, 120, 240, 480, 3600, 3600, 3600],
    );
  });
});
