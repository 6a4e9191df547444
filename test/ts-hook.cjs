// Loads the TypeScript of the unit suites (`node --require ./test/ts-hook.cjs`), in place of `--import tsx`.
// Why not tsx: on Node 20 its ESM hooks run in a second thread that loads tsx and esbuild again, about 0.6 s
// of CPU in every test process, and the unit suites start over a hundred of them. This hook stays on the
// CommonJS path (the package has no "type": "module", so tsx compiled these files to CommonJS too):
// esbuild turns each file into CommonJS once, and the result is kept under .cache/ts-hook keyed by the
// file's path and content, so a later process (or run) reads it instead of starting esbuild.
// `import()` of a relative .ts file becomes a require (Node's own import() cannot load .ts), and the
// tools written as .mjs are compiled the same way, with import.meta.url kept.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const CACHE = path.join(ROOT, '.cache', 'ts-hook');
// Part of every key: a new esbuild or a change to these options invalidates the cache.
const OPTIONS = {
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  supported: { 'dynamic-import': false },
  define: { 'import.meta.url': '__hookImportMetaUrl' },
  tsconfigRaw: { compilerOptions: { target: 'ES2022', useDefineForClassFields: true, esModuleInterop: true } },
};
let esbuild;
let salt;

function keyOf(filename, source) {
  salt ??= `${require('esbuild/package.json').version}\0${JSON.stringify(OPTIONS)}\0`;
  return crypto.createHash('sha1').update(salt).update(filename).update('\0').update(source).digest('hex');
}

/** The CommonJS of one file: from the cache, else from esbuild (then cached). */
function compiled(filename, source) {
  const file = path.join(CACHE, `${keyOf(filename, source)}.js`);
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    // not compiled yet
  }
  esbuild ??= require('esbuild');
  const loader = filename.endsWith('.ts') ? 'ts' : 'js';
  const { code } = esbuild.transformSync(source, { ...OPTIONS, loader, sourcefile: filename });
  // On the first line, so line numbers stay; a tool's #! line would not parse after it.
  const out = `const __hookImportMetaUrl = require('node:url').pathToFileURL(__filename).href;${code.replace(/^#![^\n]*/, '')}`;
  try {
    fs.mkdirSync(CACHE, { recursive: true });
    // Written whole and renamed: suites in parallel processes may compile the same file at once.
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
    fs.writeFileSync(tmp, out);
    fs.renameSync(tmp, file);
  } catch {
    // a cache that cannot be written only costs the next process a compile
  }
  return out;
}

function load(module, filename) {
  module._compile(compiled(filename, fs.readFileSync(filename, 'utf8')), filename);
}

Module._extensions['.ts'] = load;
Module._extensions['.mjs'] = load;
process.setSourceMapsEnabled(true);
module.exports = { compiled };
