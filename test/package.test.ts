import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { builtFile } from './helpers/dist';

/**
 * What a fresh clone holds once built: the tracked files and dist/, linked into a temporary folder. vsce
 * walks every file under its folder and matches each against every ignore pattern (minimatch, uncached):
 * in a working copy that also holds .e2e/ and .bench/ (some 17,000 files) `vsce ls` took 7.6 s of CPU.
 */
function freshCloneTree(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-package-test-'));
  const tracked = execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8' }).split('\0').filter(Boolean);
  const built = readdirSync('dist').map((f) => `dist/${f}`);
  for (const f of [...tracked, ...built]) {
    const to = path.join(dir, f);
    mkdirSync(path.dirname(to), { recursive: true });
    try {
      linkSync(f, to);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue; // tracked, deleted in this working copy: a clone of it would lack it too
      if (code !== 'EXDEV' && code !== 'EPERM') throw err;
      copyFileSync(f, to);
    }
  }
  return dir;
}

test('the .vsix holds only what runs: bundles, the tiktoken and SQLite wasm, media, README, CHANGELOG, LICENSE, manifest', () => {
  for (const f of [
    'cli.js',
    'cli-status.js',
    'cli-views.js',
    'extension.js',
    'dashboard.js',
    'sources-worker.js',
    'otlp-export.js',
  ] as const)
    builtFile(f); // vsce lists only files that exist
  const vsce = path.resolve('node_modules', '@vscode', 'vsce', 'vsce');
  const tree = freshCloneTree();
  let files: string[];
  try {
    files = execFileSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { encoding: 'utf8', cwd: tree })
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .sort();
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
  const allowed = new RegExp(
    `^(${/dist\/(extension|cli|cli-[a-z]+|vendor-[a-z]+|dashboard|sources-worker|otlp-export)\.js|dist\/(tiktoken_bg|sql-wasm)\.wasm/.source}|` +
      `${/media\/.+\.(css|md|png|svg)|README\.md|CHANGELOG\.md|LICENSE|package\.json/.source})$`,
  );
  assert.deepEqual(
    files.filter((f) => !allowed.test(f)),
    [],
    'nothing else ships (no sources, tests, maps or node_modules)',
  );
  for (const f of [
    'dist/extension.js',
    'dist/cli.js',
    // each command's chunk, and the libraries only some commands load (see esbuild.mjs)
    'dist/cli-status.js',
    'dist/cli-views.js',
    'dist/cli-gateway.js',
    'dist/vendor-sqljs.js',
    'dist/vendor-protobuf.js',
    'dist/vendor-tiktoken.js',
    'dist/dashboard.js',
    'dist/sources-worker.js',
    'dist/otlp-export.js',
    'dist/tiktoken_bg.wasm',
    'dist/sql-wasm.wasm',
    'README.md',
    'CHANGELOG.md',
    'LICENSE',
    'package.json',
  ])
    assert.ok(files.includes(f), f);
});

test('runtime dependencies are bundled, so the manifest needs none at install time', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  assert.equal(pkg.main, './dist/extension.js');
  assert.equal(pkg.bin.unmetered, './dist/cli.js');
  // vsce refuses an engine older than the @types/vscode in use
  const types = JSON.parse(readFileSync('node_modules/@types/vscode/package.json', 'utf8')).version as string;
  const engine = (pkg.engines.vscode as string).replace(/^\^/, '');
  const [a, b] = [types, engine].map((v) => v.split('.').map(Number));
  assert.ok(b[0] > a[0] || (b[0] === a[0] && b[1] >= a[1]), `engines.vscode ${engine} must not be older than @types/vscode ${types}`);
});

test('the README links only to web addresses and its own headings: vsce refuses to package a relative link', () => {
  // The manifest names no repository, so `vsce package` cannot rewrite `[x](docs/x.md)` and stops with an error.
  const links = [...readFileSync('README.md', 'utf8').matchAll(/\]\(([^)\s]+)[^)]*\)/g)].map((m) => m[1]);
  assert.deepEqual(
    links.filter((l) => !/^(https?:|mailto:|#|command:)/.test(l)),
    [],
  );
});
