#!/usr/bin/env node
// The type-check and the lint of `npm test`, in one process: `npm run typecheck`, then `npm run lint` with the
// programs the type-check built. typescript-eslint's type-aware rules need a TypeScript program of each tsconfig;
// run on its own, the lint builds them again through TypeScript's project service. After a change to one source
// file that was 9 CPU-s of the lint's, on top of the type-check's 8.6 (measured alone, 2 cores).
// The lint is the one `npm run lint` runs (eslint.config.mjs, the same cache, zero warnings allowed): only how it
// gets its type information differs, and its results are the same. When the type-check had nothing to check (its
// stamp), it hands over no program, and the lint gets them as usual, for the files its cache does not cover.
// A program holds each file as it was when checked: a file that changed after that (an edit while this ran) is
// linted again by ESLint in a process of its own (its config then has no programs), as it is now.
// Exit code 0 when both are clean, 1 otherwise; each prints what it found.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkTypes } from './typecheck.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { ESLint } = createRequire(import.meta.url)('eslint');
/** Where eslint.config.mjs looks for programs handed to it. */
const PROGRAMS = Symbol.for('unmetered.lint.programs');
const CACHE = path.join(root, '.cache', 'eslint') + path.sep;

/** The lint of `npm run lint` (package.json) over `patterns`; its results. */
async function lint(patterns) {
  const eslint = new ESLint({ cwd: root, cache: true, cacheStrategy: 'content', cacheLocation: CACHE });
  return { eslint, results: await eslint.lintFiles(patterns) };
}

/** The files of `results` that some program holds with other text than the file has now. */
function changedSince(programs, results) {
  return results
    .map((r) => r.filePath)
    .filter((f) => {
      const sf = programs.map((p) => p.getSourceFile(f)).find(Boolean);
      if (!sf) return false;
      try {
        return readFileSync(f, 'utf8') !== sf.text;
      } catch {
        return true;
      }
    });
}

const typed = checkTypes(root);
globalThis[PROGRAMS] = typed.programs;
const { eslint, results } = await lint(['.']);
const stale = typed.programs ? changedSince(typed.programs, results) : [];
const text = (await eslint.loadFormatter('stylish')).format(results.filter((r) => !stale.includes(r.filePath)));
if (text) process.stdout.write(text);
// As `eslint --max-warnings 0`: a warning fails it too.
let clean = typed.errors === 0 && results.every((r) => stale.includes(r.filePath) || r.errorCount + r.warningCount === 0);
if (stale.length > 0) {
  // Their results, now in the cache under the files' new text, are of the text checked: the cache goes (the next run
  // lints every file again), and they are linted as they are now, by ESLint alone (its config then has no programs).
  rmSync(CACHE, { recursive: true, force: true });
  const bin = path.join(path.dirname(createRequire(import.meta.url).resolve('eslint')), '..', 'bin', 'eslint.js');
  const again = spawnSync(process.execPath, [bin, '--max-warnings', '0', ...stale], { cwd: root, stdio: 'inherit' });
  clean &&= again.status === 0;
}
process.exit(clean ? 0 : 1);
