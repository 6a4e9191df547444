import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serializeSnapshot, type PriceSnapshot } from '../../src/core/pricing/litellm';

// Drives the refresh script on a local copy (--file), so nothing is fetched. Loaded by the suites' own TypeScript
// hook (the CommonJS tsx made of it too, without tsx's second thread: about 0.17 CPU-s a run instead of 0.65).
const SCRIPT = path.join(__dirname, '..', '..', 'src', 'tools', 'refreshPrices.ts');
const HOOK = path.join(__dirname, '..', 'ts-hook.cjs');
const run = (args: string[]) => spawnSync(process.execPath, ['--require', HOOK, SCRIPT, ...args], { encoding: 'utf8' });

test('prices:refresh trims a LiteLLM file into a snapshot that records its commit and date, and lists what changed', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-prices-'));
  try {
    const raw = path.join(dir, 'raw.json');
    const out = path.join(dir, 'snapshot.json');
    writeFileSync(
      raw,
      JSON.stringify({
        'claude-sonnet-4-5': { input_cost_per_token: 3e-6, output_cost_per_token: 1.5e-5, mode: 'chat', supports_vision: true },
        'gpt-5': { input_cost_per_token: 1.25e-6, output_cost_per_token: 1e-5, mode: 'chat' },
        'mistral-large': { input_cost_per_token: 2e-6, output_cost_per_token: 6e-6, mode: 'chat' },
      }),
    );
    const commit = 'c'.repeat(40);
    let r = run(['--file', raw, '--commit', commit, '--out', out, '--date', '2026-11-20']);
    assert.equal(r.status, 0, r.stderr);
    const snap = JSON.parse(readFileSync(out, 'utf8')) as PriceSnapshot;
    assert.equal(readFileSync(out, 'utf8'), serializeSnapshot(snap));
    assert.deepEqual(snap.source, { ...snap.source, repo: 'BerriAI/litellm', commit, fetchedAt: '2026-11-20' });
    assert.deepEqual(Object.keys(snap.models), ['claude-sonnet-4-5', 'gpt-5']);
    assert.deepEqual(snap.models['claude-sonnet-4-5'], { input_cost_per_token: 3e-6, output_cost_per_token: 1.5e-5 });

    writeFileSync(
      raw,
      JSON.stringify({
        'claude-sonnet-4-5': { input_cost_per_token: 2e-6, output_cost_per_token: 1.5e-5, mode: 'chat' },
        'gpt-5.5': { input_cost_per_token: 5e-6, output_cost_per_token: 3e-5, mode: 'chat' },
      }),
    );
    r = run(['--file', raw, '--commit', 'd'.repeat(40), '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.ok(lines.includes('+ gpt-5.5'), r.stdout);
    assert.ok(lines.includes('- gpt-5'), r.stdout);
    assert.ok(
      lines.some((l) => l.startsWith('~ claude-sonnet-4-5: ')),
      r.stdout,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('prices:refresh rejects bad arguments with a one-line reason', () => {
  let r = run(['--file', 'x.json']);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, 'prices:refresh: --file: also give --commit <sha>, the LiteLLM commit the file was taken from\n');
  r = run(['--frobnicate']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /unknown argument "--frobnicate": expected --commit, --file, --out or --date/);
  r = run([
    '--file',
    path.join(os.tmpdir(), 'no-such-unmetered-file.json'),
    '--commit',
    'e'.repeat(40),
    '--out',
    path.join(os.tmpdir(), 'never-written.json'),
  ]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /ENOENT/);
});
