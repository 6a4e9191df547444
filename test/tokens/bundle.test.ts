// The shipped extension is one esbuild bundle with tiktoken_bg.wasm copied beside it (esbuild.mjs).
// tiktoken also searches parent node_modules/, so a bundle run inside the repository would find the
// wasm by accident: these tests build with the same options and run the bundle from an isolated temp dir.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';

const repo = path.resolve(__dirname, '../..');
const wasm = path.join(path.dirname(createRequire(__filename).resolve('tiktoken')), 'tiktoken_bg.wasm');

async function bundleInto(dir: string): Promise<string> {
  const entry = path.join(dir, 'entry.ts');
  writeFileSync(
    entry,
    `import { countTokens } from ${JSON.stringify(path.join(repo, 'src/core/tokens'))};
     Promise.all([countTokens('お誕生日おめでとう', 'gpt-4o'), countTokens('お誕生日おめでとう', 'gpt-4')])
       .then((n) => process.stdout.write(JSON.stringify(n)), (e) => { process.stderr.write(e.code + ': ' + e.message); process.exit(3); });`,
  );
  const outfile = path.join(dir, 'extension.js');
  // Same options as esbuild.mjs --production.
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    logLevel: 'silent',
  });
  rmSync(entry);
  return outfile;
}

test('the production bundle finds tiktoken_bg.wasm beside itself, away from any node_modules', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-tokens-bundle-'));
  try {
    const bundle = await bundleInto(dir);
    copyFileSync(wasm, path.join(dir, 'tiktoken_bg.wasm'));
    const r = spawnSync(process.execPath, [bundle], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [8, 9]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without the wasm the bundle reports a clear tokenizer error instead of crashing at load', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-tokens-bundle-'));
  try {
    const bundle = await bundleInto(dir);
    const r = spawnSync(process.execPath, [bundle], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 3, `stdout=${r.stdout} stderr=${r.stderr}`);
    assert.match(r.stderr, /^E_TOKENIZER: tiktoken could not be loaded: expected tiktoken_bg\.wasm beside the bundle/);
    assert.match(r.stderr, /Missing tiktoken_bg\.wasm/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
