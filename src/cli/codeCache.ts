/**
 * V8's code cache for the command chunks (dist/cli-<command>.js), kept in the data directory's
 * cache/code/: a command compiles its ~400 kB chunk from bytecode V8 wrote on an earlier run instead
 * of parsing it again, together with the functions that run compiled lazily then. On 2 cores a
 * `daily` re-run with nothing new took ~9 ms less (198 -> 189 ms median, 15 alternating runs), the
 * status line ~6 ms less.
 *
 * Node 22.1+ does this itself (module.enableCompileCache): it is used where it exists. On Node 20 the
 * chunks' compile step is taken over, for those files only: the same wrapper Node compiles, given
 * the cached data, run with the module's own require. The cache is written at exit when there was
 * none or V8 refused it (another Node, other flags). A cache file is named by its chunk's size, time
 * and inode and V8's version, since V8 checks only the source's length: a rebuilt chunk never meets
 * bytecode of the old one. The files are derived and safe to delete; one that cannot be read or
 * written only means compiling as usual.
 *
 * A cache holds the functions its run compiled, and no others. The first run on a machine imports the
 * whole history in worker threads, so its cache lacks the readers that every later run with news runs
 * on this thread, and each of those compiled them again. So a cache names the paths (CodePath) its run
 * took, in a header before V8's data, and a run that took one it does not name writes it again, naming
 * both: once, not at every run. On the long-lines history (2,768 files) the views chunk's cache grew
 * from 350 to 389 kB; a run after one appended line took ~5 ms less CPU (mean of 60 and 80 alternating
 * runs: 297.9 -> 292.6 and 302.2 -> 297.6 ms), one with nothing new the same (220.7 and 221.1 ms).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { replaceFileSync } from '../core/atomicFile';
import type { CodePath } from './context';

/**
 * A command chunk (cli-<command>.js), or the OpenTelemetry SDK's (otlp-export.js), beside the CLI's own file.
 * Compiled as a vm.Script, a chunk cannot run import(): the build turns each one into a require (esbuild.mjs).
 */
const CHUNK = /^(?:cli-[a-z]+|otlp-export)\.js$/;
/** A cache file: this, then the paths it covers (a 32-bit mask, little-endian), then V8's data. */
const MAGIC = 'UMC1';
const HEADER = 8;

const PATH_BIT: Record<CodePath, number> = { read: 1 };
let taken = 0;

/** Notes that this run took `p`: at exit, a chunk's cache that does not cover it is written again. */
export function tookCodePath(p: CodePath): void {
  taken |= PATH_BIT[p];
}

interface Compilable {
  _compile: (this: NodeJS.Module, content: string, filename: string) => unknown;
}

let installed = false;

/** Compiles the chunks in `distDir` with a code cache kept in `cacheDir` (made if missing, one level). */
export function useCodeCache(distDir: string, cacheDir: string): void {
  if (installed) return;
  installed = true;
  const native = (Module as unknown as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache;
  if (typeof native === 'function') {
    try {
      native(cacheDir);
    } catch {
      // no cache: compiled as usual
    }
    return;
  }
  const proto = Module.prototype as unknown as Compilable;
  const compile = proto._compile;
  proto._compile = function (this: NodeJS.Module, content: string, filename: string): unknown {
    if (path.dirname(filename) !== distDir || !CHUNK.test(path.basename(filename))) return compile.call(this, content, filename);
    return compileCached(this, content, filename, cacheDir);
  };
}

function compileCached(m: NodeJS.Module, content: string, filename: string, cacheDir: string): unknown {
  const base = path.basename(filename, '.js');
  const st = statSync(filename);
  const file = path.join(cacheDir, `${base}-${st.size}-${Math.trunc(st.mtimeMs)}-${st.ino}-${process.versions.v8}.bin`);
  let cachedData: Buffer | undefined;
  let covers = 0;
  try {
    const saved = readFileSync(file);
    if (saved.length > HEADER && saved.toString('latin1', 0, MAGIC.length) === MAGIC) {
      covers = saved.readUInt32LE(MAGIC.length);
      cachedData = saved.subarray(HEADER);
    }
  } catch {
    // none yet
  }
  const script = new vm.Script(Module.wrap(content), { filename, cachedData });
  const stale = cachedData === undefined || script.cachedDataRejected === true;
  process.once('exit', () => {
    if (stale || (taken & ~covers) !== 0) keep(script, cacheDir, base, file, stale ? taken : covers | taken);
  });
  const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
  const require = Module.createRequire(filename);
  return wrapper.call(m.exports, m.exports, require, m, filename, path.dirname(filename));
}

/** Writes the chunk's code cache as this run left it (with the functions it compiled), and drops older ones of it. */
function keep(script: vm.Script, cacheDir: string, base: string, file: string, covers: number): void {
  try {
    try {
      mkdirSync(cacheDir, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return;
    }
    for (const old of readdirSync(cacheDir))
      if (old.startsWith(`${base}-`) && path.join(cacheDir, old) !== file) rmSync(path.join(cacheDir, old), { force: true });
    const header = Buffer.alloc(HEADER);
    header.write(MAGIC, 'latin1');
    header.writeUInt32LE(covers >>> 0, MAGIC.length);
    replaceFileSync(file, [header, script.createCachedData()], { flush: false });
  } catch {
    // a cache not written only means compiling again next time
  }
}
