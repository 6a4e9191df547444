import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { chatPromptTokens, countTokens, encodingFor, loadTokenizer, loadedTokenizer, disposeTokenizers } from '../../src/core/tokens';

test('encodingFor: OpenAI current families use o200k_base, everything else cl100k_base', () => {
  const o200k = [
    'gpt-4o',
    'gpt-4o-mini-2024-07-18',
    'chatgpt-4o-latest',
    'gpt-4.1',
    'gpt-4.1-nano',
    'gpt-5',
    'gpt-5-mini',
    'gpt-5.1-codex',
    'gpt-5-codex',
    'codex-mini-latest',
    'o1',
    'o1-preview',
    'o3',
    'o3-pro',
    'o4-mini',
    'openai/gpt-4o',
    'azure/gpt-5',
    'ft:gpt-4o-mini:acme::abc',
    'GPT-4O',
    'gpt-oss:20b',
  ];
  const cl100k = [
    'gpt-4',
    'gpt-4-turbo',
    'gpt-3.5-turbo',
    'claude-sonnet-4-5',
    'claude-opus-4-1-20250805',
    'gemini-2.5-pro',
    'llama3.1:8b',
    'qwen2.5-coder:7b',
    'olmo2:13b',
    'orca-mini',
    'deepseek-r1:14b',
    'anthropic/claude-3-5-haiku',
    '',
  ];
  for (const m of o200k) assert.equal(encodingFor(m), 'o200k_base', m);
  for (const m of cl100k) assert.equal(encodingFor(m), 'cl100k_base', m);
});

test('tiktoken is not loaded until something is counted', () => {
  // A fresh process: importing the module must not pull in the 5.6 MB wasm (activation stays cheap).
  const script = `
    const t = require('./src/core/tokens');
    const loaded = () => Object.keys(require.cache).some((k) => k.includes('tiktoken'));
    if (loaded()) throw new Error('tiktoken loaded at import');
    t.countTokens('hello world', 'gpt-4o').then((n) => {
      if (!loaded()) throw new Error('tiktoken not loaded after counting');
      process.stdout.write(String(n));
    });`;
  // TypeScript loaded by the suites' own hook (test/ts-hook.cjs), which loads nothing else.
  const r = spawnSync(process.execPath, ['--require', path.join(__dirname, '..', 'ts-hook.cjs'), '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '2');
});

// Published counts: openai-cookbook "How to count tokens with tiktoken", section 5 (comparing encodings).
test('counts match OpenAI published examples in both encodings', async () => {
  assert.equal(await countTokens('hello world', 'gpt-4'), 2);
  assert.equal(await countTokens('hello world', 'gpt-4o'), 2);
  assert.equal(await countTokens('tiktoken is great!', 'gpt-4'), 6);
  assert.equal(await countTokens('tiktoken is great!', 'gpt-4o'), 6);
  assert.equal(await countTokens('antidisestablishmentarianism', 'gpt-3.5-turbo'), 6);
  assert.equal(await countTokens('antidisestablishmentarianism', 'gpt-5'), 6);
  assert.equal(await countTokens('2 + 2 = 4', 'gpt-4'), 7);
  assert.equal(await countTokens('2 + 2 = 4', 'o3'), 7);
  assert.equal(await countTokens('', 'gpt-4o'), 0);
});

test('the two encodings really differ where the cookbook shows they do', async () => {
  // "お誕生日おめでとう": cl100k_base 9 tokens, o200k_base 8 (o200k merges 生日 into one token).
  assert.equal(await countTokens('お誕生日おめでとう', 'gpt-4'), 9);
  assert.equal(await countTokens('お誕生日おめでとう', 'gpt-4o'), 8);
  assert.equal(await countTokens('お誕生日おめでとう', 'claude-sonnet-4-5'), 9, 'Claude is approximated with cl100k_base');
  assert.equal(await countTokens('お誕生日おめでとう', 'gpt-5-codex'), 8);
});

test('chat framing reproduces the prompt_tokens OpenAI reported for the cookbook example', async () => {
  const messages = [
    { role: 'system', content: 'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.' },
    { role: 'system', name: 'example_user', content: 'New synergies will help drive top-line growth.' },
    { role: 'system', name: 'example_assistant', content: 'Things working well together will increase revenue.' },
    {
      role: 'system',
      name: 'example_user',
      content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage.",
    },
    { role: 'system', name: 'example_assistant', content: "Let's talk later when we're less busy about how to do better." },
    { role: 'user', content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
  ];
  // The API reported 129 prompt tokens for gpt-4-0613 and 124 for gpt-4o-2024-08-06. chatPromptTokens is what
  // the chat service runs to estimate a prompt whose endpoint reported no usage.
  assert.equal(chatPromptTokens(await loadTokenizer('gpt-4-0613'), messages), 129);
  assert.equal(chatPromptTokens(await loadTokenizer('gpt-4o-2024-08-06'), messages), 124);
});

test('special-token text typed by a user is counted as ordinary text, not rejected', async () => {
  const n = await countTokens('before <|endoftext|> after', 'gpt-4o');
  // As a control token it would be 1 token (or tiktoken would throw); as text it is several.
  assert.ok(n > 4, `expected <|endoftext|> to count as ordinary text, got ${n} tokens`);
});

test('a loaded tokenizer counts synchronously; dispose frees it and a later count reloads', async () => {
  const tk = await loadTokenizer('gpt-4.1');
  assert.equal(tk.encoding, 'o200k_base');
  assert.equal(tk.count('hello world'), 2);
  assert.equal(loadedTokenizer('gpt-5'), tk, 'one encoder per encoding, shared by every model using it');
  disposeTokenizers();
  assert.equal(loadedTokenizer('gpt-4.1'), undefined);
  assert.equal(await countTokens('hello world', 'gpt-4.1'), 2);
});
