/**
 * The data directory holds what agents cost, which projects they worked on and where their logs
 * are: only its owner may read it. Folders are 0700 and files 0600, and folders or files left
 * more open by an older version are tightened when opened. (Windows has no such modes: there the
 * folder's ACL, inherited from the user profile, already keeps other users out.)
 *
 * mkdir is done here one level at a time, never with { recursive: true }: in a folder that refuses
 * new entries with ENOENT (e.g. UNMETERED_HOME=/proc/1), Node 20's recursive mkdir retries for
 * ever at full CPU instead of failing.
 *
 * The calls are synchronous behind async signatures: each is a metadata call of microseconds, and
 * opening the ledger made twelve of them one after another, each a thread-pool round trip (a few
 * milliseconds of every CLI command on 2 cores).
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
const POSIX = process.platform !== 'win32';
/** Deeper than any real path; a bound on the recursion whatever the file system answers. */
const MAX_LEVELS = 128;

/**
 * Creates `dir` (and missing parents) as private folders, and tightens `dir` if it existed unless
 * told not to: a data directory a person chose (UNMETERED_HOME=/tmp, say) is theirs to keep as it
 * is, so only the folders Unmetered owns inside it are tightened.
 */
export async function ensurePrivateDir(dir: string, opts: { tightenExisting?: boolean } = {}): Promise<void> {
  makeDir(path.resolve(dir), 0, PRIVATE_DIR_MODE);
  if (opts.tightenExisting !== false) await tighten(dir, PRIVATE_DIR_MODE);
}

/** ensurePrivateDir without tightening a folder that exists, for code that is synchronous itself. */
export function ensurePrivateDirSync(dir: string): void {
  makeDir(path.resolve(dir), 0, PRIVATE_DIR_MODE);
}

/** `mkdir -p` for folders a person chose (an export folder, an agent's settings folder): default modes, same bounds. */
export async function ensureDir(dir: string): Promise<void> {
  makeDir(path.resolve(dir), 0, 0o777);
}

function makeDir(dir: string, level: number, mode: number): void {
  try {
    mkdirSync(dir, { mode });
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return assertDir(dir, e as Error);
    const parent = path.dirname(dir);
    if (code !== 'ENOENT' || parent === dir || level >= MAX_LEVELS) throw e;
    makeDir(parent, level + 1, mode);
  }
  // The parent exists now: a second ENOENT means this folder cannot hold new entries at all.
  try {
    mkdirSync(dir, { mode });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return assertDir(dir, e as Error);
    throw e;
  }
}

function assertDir(dir: string, cause: Error): void {
  const st = statSync(dir);
  if (!st.isDirectory()) throw Object.assign(new Error(`${dir} exists and is not a folder`), { code: 'ENOTDIR', cause });
}

/**
 * Removes group and other permissions from a file or folder we own. Returns false when that was
 * needed and not possible (another owner, a read-only file system): the caller may say so.
 */
export async function tighten(p: string, mode: number): Promise<boolean> {
  if (!POSIX) return true;
  try {
    const st = statSync(p);
    if ((st.mode & 0o077) === 0) return true;
    chmodSync(p, (st.mode & 0o700) | (mode & 0o700));
    return true;
  } catch {
    return false;
  }
}
