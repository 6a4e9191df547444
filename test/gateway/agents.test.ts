import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  codexFlag,
  hasCodexProfile,
  isClaudeCodeRouted,
  withClaudeCodeRoute,
  withCodexProfile,
  withoutClaudeCodeRoute,
  withoutCodexProfile,
} from '../../src/core/gateway/agents';

test('Codex flag is the exact -c override, base URL ending in /v1', () => {
  assert.equal(codexFlag(8719), '-c openai_base_url="http://127.0.0.1:8719/v1"');
});

test('claudeCode.environmentVariables gains ANTHROPIC_BASE_URL, keeps the rest, and is unchanged when already routed', () => {
  const current = [{ name: 'CLAUDE_CODE_USE_BEDROCK', value: '0' }];
  const r = withClaudeCodeRoute(current, 8719);
  assert.ok('value' in r);
  assert.deepEqual(r.value, [
    { name: 'CLAUDE_CODE_USE_BEDROCK', value: '0' },
    { name: 'ANTHROPIC_BASE_URL', value: 'http://127.0.0.1:8719' },
  ]);
  assert.equal(r.changed, true);
  const again = withClaudeCodeRoute(r.value, 8719);
  assert.ok('value' in again && again.changed === false);
  assert.ok(isClaudeCodeRouted(r.value, 8719));
  const moved = withClaudeCodeRoute([{ name: 'ANTHROPIC_BASE_URL', value: 'https://old-proxy' }], 9000);
  assert.ok('value' in moved);
  assert.deepEqual(moved.value, [{ name: 'ANTHROPIC_BASE_URL', value: 'http://127.0.0.1:9000' }]);
});

test('undo removes only our entry; a base URL the user set to something else is left alone', () => {
  const routed = [
    { name: 'A', value: '1' },
    { name: 'ANTHROPIC_BASE_URL', value: 'http://127.0.0.1:8719' },
  ];
  assert.deepEqual(withoutClaudeCodeRoute(routed, 8719), { value: [{ name: 'A', value: '1' }], changed: true });
  const theirs = [{ name: 'ANTHROPIC_BASE_URL', value: 'https://corp-proxy' }];
  assert.deepEqual(withoutClaudeCodeRoute(theirs, 8719), { value: theirs, changed: false });
});

test('a malformed claudeCode.environmentVariables is not overwritten', () => {
  const r = withClaudeCodeRoute({ ANTHROPIC_BASE_URL: 'x' }, 8719);
  assert.ok('error' in r && r.error.startsWith('claudeCode.environmentVariables: expected a list'));
});

const USER_CONFIG = 'model = "gpt-5-codex"\n\n[profiles.fast]\nmodel = "gpt-5-mini"\n';

test('the Codex profile is appended as a marked block and removed exactly', () => {
  const r = withCodexProfile(USER_CONFIG, 8719);
  assert.ok('text' in r && r.changed);
  assert.ok(r.text.startsWith(USER_CONFIG));
  assert.match(
    r.text,
    /\[model_providers\.unmetered\]\nname = "Unmetered gateway"\nbase_url = "http:\/\/127\.0\.0\.1:8719\/v1"\nwire_api = "responses"/,
  );
  assert.match(r.text, /\[profiles\.unmetered\]\nmodel_provider = "unmetered"/);
  assert.ok(hasCodexProfile(r.text));
  assert.deepEqual(withoutCodexProfile(r.text), { text: USER_CONFIG, changed: true });
  assert.deepEqual(withoutCodexProfile(USER_CONFIG), { text: USER_CONFIG, changed: false });
  const empty = withCodexProfile('', 8719);
  assert.ok('text' in empty);
  assert.equal(withoutCodexProfile(empty.text).text, '');
});

test('writing the profile again replaces our block (new port) and is a no-op when nothing changed', () => {
  const first = withCodexProfile(USER_CONFIG, 8719);
  assert.ok('text' in first);
  const same = withCodexProfile(first.text, 8719);
  assert.ok('text' in same && !same.changed && same.text === first.text);
  const moved = withCodexProfile(first.text, 9001);
  assert.ok('text' in moved && moved.changed);
  assert.equal(moved.text.match(/\[profiles\.unmetered\]/g)?.length, 1);
  assert.match(moved.text, /127\.0\.0\.1:9001\/v1/);
  assert.doesNotMatch(moved.text, /8719/);
});

test('a user table of the same name is never duplicated (TOML forbids it)', () => {
  const r = withCodexProfile('[profiles.unmetered]\nmodel = "o3"\n', 8719);
  assert.ok('error' in r && r.error.includes('[profiles.unmetered]') && r.error.includes('-c openai_base_url='));
});
