// Bundles the extension, the CLI and the dashboard script. `--production` minifies.
// Runtime dependencies are bundled, so `vsce package --no-dependencies` ships only dist/ and media/.
import * as esbuild from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

const production = process.argv.includes('--production');
const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

// The CLI's start-up chunk (dist/cli.js: dispatch, option tables, help, --version) loads the commands'
// chunk (dist/cli-commands.js) only when a command runs: esbuild's cjs output cannot split, so the
// dynamic import of ./commands is left to Node and built as its own entry.
const cliCommandsExternal = {
  name: 'cli-commands-external',
  setup(build) {
    build.onResolve({ filter: /^\.\/commands$/ }, (args) =>
      args.importer.endsWith(path.join('src', 'cli', 'main.ts')) ? { path: './cli-commands.js', external: true } : undefined,
    );
  },
};

await mkdir('dist', { recursive: true });
await Promise.all([
  esbuild.build({ ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] }),
  esbuild.build({
    ...common,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
    define: { __VERSION__: JSON.stringify(pkg.version) },
    plugins: [cliCommandsExternal],
  }),
  esbuild.build({ ...common, entryPoints: ['src/cli/commands.ts'], outfile: 'dist/cli-commands.js' }),
  // The agent-log import's worker thread (a big first import is parsed off the main thread), used by both.
  esbuild.build({ ...common, entryPoints: ['src/core/import/worker-entry.ts'], outfile: 'dist/sources-worker.js' }),
  // The dashboard's browser script lands with the dashboard (issue 5); until then there is nothing to bundle.
  existsSync('media/dashboard.ts') &&
    esbuild.build({
      ...common,
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
      entryPoints: ['media/dashboard.ts'],
      outfile: 'dist/dashboard.js',
    }),
]);
// tiktoken loads its wasm from beside the bundle at run time (it is only loaded where a provider reports no usage).
await copyFile(path.join(path.dirname(require.resolve('tiktoken')), 'tiktoken_bg.wasm'), 'dist/tiktoken_bg.wasm');
// SQLite (sql.js) for agents that keep their usage in a database: its wasm is read from beside the bundles.
await copyFile(require.resolve('sql.js/dist/sql-wasm.wasm'), 'dist/sql-wasm.wasm');
