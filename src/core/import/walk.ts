/**
 * Finds the files under an agent's log folder. Agents' folders are other programs' data (and
 * Claude Code's projects/ can hold anything a session wrote), so the walk is bounded: it never
 * follows a link — one whose target lies outside the folder would lead anywhere (a link to `/` would
 * walk the whole disk) and one whose target lies inside leads where the walk goes anyway, so each real
 * file is found once and no link makes a cycle — it stops at a depth and a number of entries, and
 * hands over regular files only (no FIFOs, devices or sockets, which can block a read or never end).
 * Links leading outside are returned so the caller can say which and why. A folder reached without
 * a link is not stat'ed (its directory entry says what it is): on a 2,800-file history its ~720
 * stats were a twentieth of a re-run.
 *
 * The file system calls are synchronous: each is a few microseconds on a cached folder, where a
 * thread-pool round trip per call cost ten times that (a walk of 720 folders took ~150 ms of a
 * re-run, ~15 ms now). The walk hands the event loop back every few milliseconds, so an editor
 * running it stays responsive whatever the tree holds.
 */
import { readdirSync, realpathSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { monotonicMs as now } from '../ports';

export interface WalkLimits {
  /** Folder levels below the root (default 16). */
  maxDepth?: number;
  /** Directory entries looked at in all (default 500,000; a long history has tens of thousands). */
  maxEntries?: number;
  /** Told of each folder the walk looks in: read, unreadable, or (a root) missing. */
  onDir?: (dir: string) => void;
}

export interface SkippedLink {
  path: string;
  /** Where it leads (its real path), or null when that could not be resolved. */
  target: string | null;
  why: string;
}

export interface WalkResult {
  skippedLinks: SkippedLink[];
  /** Entries left unvisited because a limit was reached (which one is in `limit`). */
  limit: string | null;
}

export const DEFAULT_WALK_DEPTH = 16;
const DEFAULT_WALK_ENTRIES = 500_000;
const MAX_SKIPPED_KEPT = 100;
/** Work between two turns of the event loop. */
const SLICE_MS = 10;

interface Walk {
  root: string;
  onFile: (f: string) => unknown;
  entries: number;
  maxDepth: number;
  maxEntries: number;
  result: WalkResult;
  onDir: WalkLimits['onDir'];
  /** When the event loop was last handed back. */
  slice: number;
}

/** Calls onFile for each regular file under `root` (a missing or unreadable root finds nothing). */
export async function walkRoot(root: string, onFile: (f: string) => unknown, limits: WalkLimits = {}): Promise<WalkResult> {
  const result: WalkResult = { skippedLinks: [], limit: null };
  let real: string;
  try {
    real = realpathSync.native(root); // the root itself may be a link (a config folder moved to another disk)
  } catch {
    limits.onDir?.(path.normalize(root));
    return result;
  }
  const w: Walk = {
    root: real,
    onFile,
    entries: 0,
    maxDepth: limits.maxDepth ?? DEFAULT_WALK_DEPTH,
    maxEntries: limits.maxEntries ?? DEFAULT_WALK_ENTRIES,
    result,
    onDir: limits.onDir,
    slice: now(),
  };
  // Children are named by concatenation (path.join's normalising was a tenth of a re-run), so the
  // root is normalised once here: the names are then the ones path.join would give.
  await walkDir(w, path.normalize(root), 0);
  return result;
}

function inside(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

async function walkDir(w: Walk, dir: string, depth: number): Promise<void> {
  if (depth > w.maxDepth) {
    w.result.limit ??= `folders deeper than ${w.maxDepth} levels were not searched`;
    return;
  }
  w.onDir?.(dir);
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true }); // a root that is not a folder throws: nothing to find
  } catch {
    return;
  }
  if (now() - w.slice > SLICE_MS) {
    await new Promise((r) => setImmediate(r));
    w.slice = now();
  }
  // Entries' names hold no separator; `dir` is normalised (walkRoot), so this is path.join's result.
  const base = dir === '.' ? '' : dir.endsWith(path.sep) ? dir : dir + path.sep;
  for (const e of entries) {
    if (++w.entries > w.maxEntries) {
      w.result.limit ??= `stopped after ${w.maxEntries} entries`;
      break;
    }
    const p = base + e.name;
    if (e.isDirectory()) await walkDir(w, p, depth + 1);
    else if (e.isFile()) w.onFile(p);
    else if (e.isSymbolicLink()) outsideLink(w, p);
  }
}

/** A link is not followed: one leading outside the folder is noted (skippedLinks); one inside leads where the walk goes. */
function outsideLink(w: Walk, p: string): void {
  let target: string;
  try {
    target = realpathSync.native(p);
  } catch {
    return; // dangling: nothing to read
  }
  if (!inside(w.root, target)) skip(w, { path: p, target, why: `it leads outside ${w.root}` });
}

function skip(w: Walk, s: SkippedLink): void {
  if (w.result.skippedLinks.length < MAX_SKIPPED_KEPT) w.result.skippedLinks.push(s);
}
