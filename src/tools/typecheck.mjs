#!/usr/bin/env node
// `npm run typecheck`: both TypeScript projects, the whole tree (tsconfig.json) and src/core on its own with
// noUncheckedIndexedAccess (src/core/tsconfig.json), checked in one process that parses each file once.
// Two `tsc -p` runs parsed and bound the same ~1,200 files twice (the lib and @types declarations, the SDKs'
// types, src/core): 11.4 s of CPU and 7.3 s on 2 cores for an unchanged tree; this is 8.2 s and 5.3 s. Each
// project keeps its own incremental state in .cache/tsc, as `tsc --incremental` kept it, and the errors of
// both are reported (`tsc -p a && tsc -p b` stopped at the first project with errors).
// A clean check leaves a stamp, .cache/tsc/clean.json: every file both programs read (sources, lib and @types
// declarations) with its modification time and size, each project's root files, the configs, TypeScript's version,
// this script and npm's record of node_modules. When all of that is as stamped, nothing the checker would read has
// changed and it is not run (`tsc -b` does the same for an up-to-date project): ~0.6 s instead of ~8 s of CPU.
// Exit code 0 when both are clean, 2 when either has errors (as tsc), 1 when this cannot run.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { keepStamp, unchanged } from './stamp.mjs';

const ts = createRequire(import.meta.url)('typescript');
const PROJECTS = [
  { config: 'tsconfig.json', buildInfo: '.cache/tsc/root.tsbuildinfo' },
  { config: 'src/core/tsconfig.json', buildInfo: '.cache/tsc/core.tsbuildinfo' },
];
// Outside both programs, yet deciding what they are: these scripts, the configs, and npm's list of what it installed.
const extraOf = (root) => [
  fileURLToPath(import.meta.url),
  fileURLToPath(new URL('./stamp.mjs', import.meta.url)),
  path.join(root, 'node_modules', '.package-lock.json'),
];

/** What decides the check besides its files: TypeScript's version and each project's root files. */
const metaOf = (configs) => ({ typescript: ts.version, roots: configs.map((c) => c.fileNames) });

/** Every file the check read: this script, npm's record of node_modules, the configs, and both programs' files. */
function readBy(root, configs, programs) {
  return [
    ...extraOf(root),
    ...configs.map((c) => c.options.configFilePath),
    ...programs.flatMap((p) =>
      p
        .getProgram()
        .getSourceFiles()
        .map((sf) => sf.fileName),
    ),
  ];
}

/**
 * Checks both projects of the tree at `root`, printing their errors on `out`. Returns how many errors there were
 * (-1: a config could not be read), and the programs checked, src/core's first (null when the stamp said nothing
 * changed, and nothing was checked): check.mjs lints with them.
 */
export function checkTypes(root, out = process.stdout) {
  const pretty = Boolean(out.isTTY);
  const formatHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
  const report = (diagnostics) =>
    out.write(pretty ? ts.formatDiagnosticsWithColorAndContext(diagnostics, formatHost) : ts.formatDiagnostics(diagnostics, formatHost));
  const stamp = path.join(root, '.cache', 'tsc', 'clean.json');

  // A parsed file serves every project that includes it: parsing and binding do not depend on the options the
  // two projects differ in (noUncheckedIndexedAccess is the checker's), and the key keeps the language version.
  const parsed = new Map();
  // A file in both projects with an error both see (a syntax error in src/core) is reported once.
  const reported = new Set();
  let errors = 0;
  const configs = [];
  for (const project of PROJECTS) {
    const configErrors = [];
    const config = ts.getParsedCommandLineOfConfigFile(
      path.join(root, project.config),
      { noEmit: true, incremental: true, tsBuildInfoFile: path.join(root, project.buildInfo) },
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => configErrors.push(d) },
    );
    if (!config) {
      report(configErrors);
      return { errors: -1, programs: null };
    }
    configs.push(config);
  }
  if (unchanged(stamp, metaOf(configs))) return { errors: 0, programs: null };

  const startedMs = Date.now();
  const programs = [];
  for (const config of configs) {
    const host = ts.createIncrementalCompilerHost(config.options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (file, version, onError, shouldCreateNew) => {
      const key = `${file}\0${typeof version === 'object' ? JSON.stringify(version) : version}`;
      let source = shouldCreateNew ? undefined : parsed.get(key);
      if (!source) {
        source = getSourceFile(file, version, onError, shouldCreateNew);
        if (source) parsed.set(key, source);
      }
      return source;
    };
    const program = ts.createIncrementalProgram({
      rootNames: config.fileNames,
      options: config.options,
      host,
      configFileParsingDiagnostics: config.errors,
      projectReferences: config.projectReferences,
    });
    const diagnostics = [
      ...program.getConfigFileParsingDiagnostics(),
      ...program.getOptionsDiagnostics(),
      ...program.getGlobalDiagnostics(),
      ...program.getSyntacticDiagnostics(),
      ...program.getSemanticDiagnostics(),
    ].filter((d) => {
      const key = `${d.file?.fileName}\0${d.start}\0${d.code}\0${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      return !reported.has(key) && reported.add(key);
    });
    // With noEmit this writes only the project's .tsbuildinfo, so the next run re-checks only what changed.
    program.emit();
    programs.push(program);
    errors += diagnostics.length;
    if (diagnostics.length > 0) report(diagnostics);
  }
  // Not stamped when a file it read changed while it ran: the next run checks again.
  if (errors === 0) keepStamp(stamp, metaOf(configs), readBy(root, configs, programs), startedMs);
  if (errors > 0) out.write(`\nFound ${errors} error${errors === 1 ? '' : 's'}.\n`);
  return { errors, programs: programs.map((p) => p.getProgram()).reverse() };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // `--root DIR` checks another tree laid out the same way (its test uses a small one).
  const rootArg = process.argv.indexOf('--root');
  const root =
    rootArg > 0 ? path.resolve(process.argv[rootArg + 1]) : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const { errors } = checkTypes(root);
  process.exit(errors < 0 ? 1 : errors > 0 ? 2 : 0);
}
