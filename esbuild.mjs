// Bundles the extension, the CLI and the dashboard script. `--production` minifies.
// Runtime dependencies are bundled, so `vsce package --no-dependencies` ships only dist/ and media/.
//   node esbuild.mjs --if-changed   builds only when an input or an output differs from the last build's (test/run.mjs)
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { dropStamp, keepStamp, unchanged } from './src/tools/stamp.mjs';

const production = process.argv.includes('--production');
const require = createRequire(import.meta.url);

// A build whose inputs and outputs are as the last build left them is skipped (src/tools/stamp.mjs). The folders of
// its inputs are stamped too: a file added beside one could change what an import resolves to.
const STAMP = path.join('.cache', 'build-stamp.json');
const mode = production ? 'production' : 'development';
if (process.argv.includes('--if-changed') && unchanged(STAMP, { mode })) process.exit(0);
dropStamp(STAMP);
const started = Date.now();
const esbuild = await import('esbuild');
const { default: Ajv2020 } = await import('ajv/dist/2020.js');
const { default: standaloneCode } = await import('ajv/dist/standalone/index.js');
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
  metafile: true,
};

// The CLI's start-up chunk (dist/cli.js: dispatch, option tables, help, --version) loads one command's
// chunk (dist/cli-<file>.js, e.g. cli-status.js for `unmetered status`) only when that command runs:
// esbuild's cjs output cannot split, so commands.ts's require of each command file is left to Node and
// every command file is built as its own entry. Each chunk parses only what its command uses.
const CLI_COMMAND_FILES = ['status', 'views', 'report', 'statusline', 'import', 'plan', 'export', 'team', 'gateway', 'telemetry'];
const cliCommandsExternal = {
  name: 'cli-commands-external',
  setup(build) {
    build.onResolve({ filter: /^\.\/[a-z]+$/ }, (args) =>
      args.importer.endsWith(path.join('src', 'cli', 'commands.ts')) && CLI_COMMAND_FILES.includes(args.path.slice(2))
        ? { path: `./cli-${args.path.slice(2)}.js`, external: true }
        : undefined,
    );
  },
};

// Libraries a command needs only sometimes (SQLite for OpenCode/Copilot CLI databases, protobuf for
// OTLP, the tokenizer) are their own files (dist/vendor-<name>.js), required on first use: a command
// that never needs them never parses them.
const VENDOR = { 'sql.js': 'sqljs', 'protobufjs/light': 'protobuf', tiktoken: 'tiktoken' };
const vendorExternal = {
  name: 'vendor-external',
  setup(build) {
    build.onResolve({ filter: /^(sql\.js|protobufjs\/light|tiktoken)$/ }, (args) =>
      args.kind === 'dynamic-import' ? { path: `./vendor-${VENDOR[args.path]}.js`, external: true } : undefined,
    );
  },
};

// The OpenTelemetry SDK exporters (src/core/otlp/export/sdk.ts) are their own chunk, dist/otlp-export.js,
// required only when telemetry export runs: the extension and the CLI's commands stay as small as before.
const otlpExportExternal = {
  name: 'otlp-export-external',
  setup(build) {
    build.onResolve({ filter: /^\.\/sdk$/ }, (args) =>
      args.importer.endsWith(path.join('src', 'core', 'otlp', 'export', 'session.ts'))
        ? { path: './otlp-export.js', external: true }
        : undefined,
    );
  },
};

// The weekly-summary schemas are compiled here, at build time, into Ajv's standalone code, which
// replaces src/core/report/summary/validators.ts (the compile-on-first-use module tsx runs): the
// bundles carry neither the Ajv compiler (~135 kB minified) nor a compile at start-up (hundreds of
// ms for weekly-2). team-1 is a schema we write and never read, so only the tests compile it.
const SHIPPED_SCHEMAS = ['src/core/report/summary/weekly-1.schema.json', 'src/core/report/summary/weekly-2.schema.json'];
const schemaValidators = {
  name: 'schema-validators',
  setup(build) {
    build.onResolve({ filter: /^\.\/validators$/ }, (args) =>
      args.importer.endsWith(path.join('src', 'core', 'report', 'summary', 'jsonschema.ts'))
        ? { path: path.resolve(args.resolveDir, 'validators.ts'), namespace: 'schema-validators' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'schema-validators' }, () => {
      const options = JSON.parse(readFileSync('src/core/report/summary/schemaOptions.json', 'utf8'));
      const ajv = new Ajv2020({ ...options, code: { source: true } });
      const ids = SHIPPED_SCHEMAS.map((file) => {
        const schema = JSON.parse(readFileSync(file, 'utf8'));
        ajv.addSchema(schema);
        return schema.$id;
      });
      // Ajv's CommonJS output, run on first use inside a function: a bundle that imports the report
      // barrel but never reads a summary (the extension, `export`) drops it whole.
      const code = standaloneCode(ajv, Object.fromEntries(ids.map((id) => [id.replace(/\W/g, '_'), id])));
      const table = ids.map((id) => `${JSON.stringify(id)}: exports.${id.replace(/\W/g, '_')}`).join(', ');
      return {
        contents: [
          'let all;',
          'export function validators() {',
          '  if (!all) {',
          '    const exports = {};',
          `    ${code}`,
          `    all = { ${table} };`,
          '  }',
          '  return all;',
          '}',
          '',
        ].join('\n'),
        resolveDir: path.resolve('src/core/report/summary'),
        loader: 'js',
      };
    });
  },
};

await mkdir('dist', { recursive: true });
// The one chunk of every command that earlier builds wrote: vsce would ship it.
await rm('dist/cli-commands.js', { force: true });
await rm('dist/cli-commands.js.map', { force: true });
const built = await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: ['src/extension/extension.ts'],
    outfile: 'dist/extension.js',
    external: ['vscode'],
    plugins: [otlpExportExternal, schemaValidators],
  }),
  esbuild.build({
    ...common,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
    define: { __VERSION__: JSON.stringify(pkg.version) },
    plugins: [cliCommandsExternal, schemaValidators],
  }),
  esbuild.build({
    ...common,
    entryPoints: Object.fromEntries(CLI_COMMAND_FILES.map((f) => [`cli-${f}`, `src/cli/${f}.ts`])),
    outdir: 'dist',
    // import() of a vendor file becomes a plain require: Node's ESM loader would scan the file first.
    supported: { 'dynamic-import': false },
    plugins: [vendorExternal, otlpExportExternal, schemaValidators],
  }),
  esbuild.build({
    ...common,
    entryPoints: Object.fromEntries(Object.entries(VENDOR).map(([pkg, name]) => [`vendor-${name}`, require.resolve(pkg)])),
    outdir: 'dist',
  }),
  esbuild.build({
    ...common,
    entryPoints: ['src/core/otlp/export/sdk.ts'],
    outfile: 'dist/otlp-export.js',
    // The exporters' import('http') becomes a require: the CLI compiles this chunk with V8's code cache (a
    // vm.Script, which has no loader for import()), and a built-in module is the same either way.
    supported: { 'dynamic-import': false },
  }),
  // The agent-log import's worker thread (a big first import is parsed off the main thread), used by both.
  esbuild.build({
    ...common,
    entryPoints: ['src/core/import/workerEntry.ts'],
    outfile: 'dist/sources-worker.js',
    plugins: [schemaValidators],
  }),
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
const COPIED = [
  [path.join(path.dirname(require.resolve('tiktoken')), 'tiktoken_bg.wasm'), 'dist/tiktoken_bg.wasm'],
  // SQLite (sql.js) for agents that keep their usage in a database: its wasm is read from beside the bundles.
  [require.resolve('sql.js/dist/sql-wasm.wasm'), 'dist/sql-wasm.wasm'],
];
for (const [from, to] of COPIED) await copyFile(from, to);

// Plugins' inputs are named by their namespace (schema-validators:…); the files they read are listed here.
const read = [
  ...built.flatMap((b) => (b ? Object.keys(b.metafile.inputs).filter((f) => !/^[a-z-]+:/.test(f)) : [])),
  ...COPIED.map(([from]) => path.relative('.', from)),
  ...SHIPPED_SCHEMAS,
  'src/core/report/summary/schemaOptions.json',
  'esbuild.mjs',
  'src/tools/stamp.mjs',
  'package.json',
  // npm's record of what it installed: esbuild's own version, and Ajv's, whose code the schema plugin writes.
  'node_modules/.package-lock.json',
];
const wrote = [...built.flatMap((b) => (b ? Object.keys(b.metafile.outputs) : [])), ...COPIED.map(([, to]) => to)];
keepStamp(STAMP, { mode }, [...read, ...read.map((f) => path.dirname(f))], started, wrote);
