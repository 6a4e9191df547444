/**
 * What the one-click setup writes, and where it leaves a user's own telemetry endpoint alone.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { codexHasOtel, codexOtelBlock, copilotPlan, isOurEndpoint, terminalPlan } from '../../src/core/otlp';

const PORT = 8719;
const none = { claudeSettings: null, geminiSettings: null };

describe('telemetry setup plans', { timeout: 10_000 }, () => {
  test("Copilot Chat: the three settings point at the gateway's port when nothing is set", () => {
    assert.deepEqual(copilotPlan({}, {}, PORT), {
      writes: {
        'github.copilot.chat.otel.enabled': true,
        'github.copilot.chat.otel.exporterType': 'otlp-http',
        'github.copilot.chat.otel.otlpEndpoint': 'http://127.0.0.1:8719',
      },
    });
  });

  test('Copilot Chat: an endpoint of the user, an environment override or another exporter is never overwritten', () => {
    const a = copilotPlan({ 'github.copilot.chat.otel.otlpEndpoint': 'https://otel.corp.example:4318' }, {}, PORT);
    assert.ok('skip' in a && a.skip.includes('https://otel.corp.example:4318'));
    const b = copilotPlan({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, PORT);
    assert.ok('skip' in b && b.skip.includes('OTEL_EXPORTER_OTLP_ENDPOINT'));
    const c = copilotPlan({ 'github.copilot.chat.otel.enabled': true, 'github.copilot.chat.otel.exporterType': 'file' }, {}, PORT);
    assert.ok('skip' in c);
    // Already ours (localhost, trailing slash): planned again, idempotent.
    assert.ok('writes' in copilotPlan({ 'github.copilot.chat.otel.otlpEndpoint': 'http://localhost:8719/' }, {}, PORT));
  });

  test('terminals: Claude Code logs-only variables and Gemini CLI variables', () => {
    const p = terminalPlan({}, none, PORT);
    assert.deepEqual(p.claudeCode, {
      writes: {
        CLAUDE_CODE_ENABLE_TELEMETRY: '1',
        OTEL_LOGS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://127.0.0.1:8719/v1/logs',
      },
    });
    assert.deepEqual(p.geminiCli, {
      writes: {
        GEMINI_TELEMETRY_ENABLED: 'true',
        GEMINI_TELEMETRY_TARGET: 'local',
        GEMINI_TELEMETRY_OTLP_PROTOCOL: 'http',
        GEMINI_TELEMETRY_OTLP_ENDPOINT: 'http://127.0.0.1:8719',
        GEMINI_TELEMETRY_LOG_PROMPTS: 'false',
      },
    });
  });

  test('terminals: an agent whose telemetry already goes elsewhere is skipped, the other still set', () => {
    const claudeSettings = JSON.stringify({
      env: { CLAUDE_CODE_ENABLE_TELEMETRY: '1', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317' },
    });
    const p = terminalPlan({}, { claudeSettings, geminiSettings: null }, PORT);
    assert.ok('skip' in p.claudeCode && p.claudeCode.skip.includes('~/.claude/settings.json'));
    assert.ok('writes' in p.geminiCli);
    const g = terminalPlan({}, { claudeSettings: null, geminiSettings: JSON.stringify({ telemetry: { target: 'gcp' } }) }, PORT);
    assert.ok('skip' in g.geminiCli);
    const e = terminalPlan({ GEMINI_TELEMETRY_OTLP_ENDPOINT: 'http://x:4317', OTEL_LOGS_EXPORTER: 'console' }, none, PORT);
    assert.ok('skip' in e.geminiCli && 'skip' in e.claudeCode);
    // Broken JSON in a settings file is no endpoint: the plan goes ahead.
    assert.ok('writes' in terminalPlan({}, { claudeSettings: '{', geminiSettings: '{' }, PORT).claudeCode);
  });

  test('Codex: the [otel] block, offered only when config.toml has none', () => {
    assert.equal(
      codexOtelBlock(PORT),
      '[otel]\n# Unmetered meters Codex from these events; prompts are not logged.\nlog_user_prompt =' +
        ' false\nexporter = { otlp-http = { endpoint = "http://127.0.0.1:8719/v1/logs", protocol = "binary" } }\n',
    );
    assert.equal(codexHasOtel('model = "gpt-5"\n\n[otel]\nenvironment = "dev"\n'), true);
    assert.equal(codexHasOtel('otel = { exporter = "none" }\n'), true);
    assert.equal(codexHasOtel('[profiles.x]\nmodel = "o3"\n# [otel] not here\n'), false);
  });

  test('our endpoint is recognised on loopback names and the exact port only', () => {
    assert.equal(isOurEndpoint('http://127.0.0.1:8719/v1/logs', PORT), true);
    assert.equal(isOurEndpoint('http://localhost:8719', PORT), true);
    assert.equal(isOurEndpoint('http://127.0.0.1:4318', PORT), false);
    assert.equal(isOurEndpoint('https://127.0.0.1:8719', PORT), false);
    assert.equal(isOurEndpoint('http://example.com:8719', PORT), false);
    assert.equal(isOurEndpoint('not a url', PORT), false);
  });
});
