/**
 * The branch and repository of a working folder, read from its `.git` without running git: the
 * editor chat (and any caller with a folder but no agent log) learns attribution this way, and a
 * Claude Code line's `cwd` yields its repository. Reads are small and bounded (HEAD 4 KiB, config
 * 256 KiB, at most 64 parent folders), answers are cached briefly, and nothing here throws.
 *
 * The repository is the origin remote normalised to `host/owner/name` (normaliseRemote): credentials,
 * port, query and `.git` dropped, so an https and an ssh clone of one repository are one row, and no
 * token in a remote URL is ever written anywhere. No origin (or a local-path remote): no repository.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { ATTRIBUTION_MAX } from './interaction';

export interface GitAttribution {
  branch?: string;
  repo?: string;
}

const HEAD_MAX = 4096;
const CONFIG_MAX = 256 * 1024;
const PARENTS_MAX = 64;

/** The first `max` bytes of a file as text, or null when it cannot be read. */
export function readHead(file: string, max: number): string | null {
  let fd: number | null = null;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(max);
    const n = readSync(fd, buf, 0, max, 0);
    return buf.toString('utf8', 0, n);
  } catch {
    return null;
  } finally {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        // nothing to do: the read already failed or succeeded
      }
    }
  }
}

function kind(p: string): 'dir' | 'file' | null {
  try {
    const s = statSync(p);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : null;
  } catch {
    return null;
  }
}

/**
 * The git directory (HEAD lives there) and the common directory (config lives there) of the checkout
 * holding `dir`. A linked worktree or submodule has a `.git` FILE naming its git directory, which in
 * turn names the common one in `commondir`.
 */
function gitDirs(dir: string): { gitDir: string; commonDir: string } | null {
  let d = path.resolve(dir);
  for (let i = 0; i < PARENTS_MAX; i++) {
    const dotGit = path.join(d, '.git');
    const k = kind(dotGit);
    if (k === 'dir') return { gitDir: dotGit, commonDir: dotGit };
    if (k === 'file') {
      const m = /^gitdir:\s*(.+?)\s*$/m.exec(readHead(dotGit, HEAD_MAX) ?? '');
      if (!m) return null;
      const gitDir = path.resolve(d, m[1]!);
      const common = readHead(path.join(gitDir, 'commondir'), HEAD_MAX)?.trim();
      return { gitDir, commonDir: common ? path.resolve(gitDir, common) : gitDir };
    }
    const up = path.dirname(d);
    if (up === d) return null;
    d = up;
  }
  return null;
}

/** `ref: refs/heads/<name>` → name; a detached HEAD (a commit id) names no branch. */
export function branchFromHead(head: string): string | undefined {
  const m = /^ref:\s*refs\/heads\/(.+?)\s*$/m.exec(head);
  return m ? bounded(m[1]!) : undefined;
}

function bounded(s: string): string | undefined {
  return s.length > 0 && s.length <= ATTRIBUTION_MAX && !/[\u0000-\u001f\u007f]/.test(s) ? s : undefined;
}

/** The origin remote's url in a git config text (`[remote "origin"]` … `url = …`). */
export function originUrl(config: string): string | undefined {
  let inOrigin = false;
  for (const raw of config.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('[')) {
      inOrigin = /^\[\s*remote\s+"origin"\s*\]/i.test(line);
      continue;
    }
    if (!inOrigin) continue;
    const m = /^url\s*=\s*(.*)$/i.exec(line);
    if (m) return m[1]!.replace(/^"(.*)"$/, '$1').trim() || undefined;
  }
  return undefined;
}

/**
 * `host/owner/name` for a remote URL, or undefined for a local path or anything unrecognised.
 * Handles `https://user:token@host:port/owner/name.git?x`, `ssh://git@host:22/owner/name`,
 * `git@host:owner/name.git` and `git://host/owner/name`. The result never holds a credential:
 * only the host name and the path survive.
 */
export function normaliseRemote(url: string): string | undefined {
  const u = url.trim();
  // Backslashes only occur in local Windows paths.
  if (!u || /[\s\u0000-\u001f\u007f\\]/.test(u)) return undefined;
  let host: string;
  let rest: string;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(u);
  if (scheme) {
    if (scheme[1]!.toLowerCase() === 'file') return undefined;
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      return undefined;
    }
    host = parsed.hostname;
    rest = parsed.pathname;
  } else {
    // scp-like: [user@]host:path (a colon before any slash); anything else is a local path.
    const m = /^(?:[^@/]*@)?([^:/]+):(.+)$/.exec(u);
    const [, h, p] = m ?? [];
    if (h === undefined || p === undefined || h.length < 2) return undefined; // `C:/dir` is a drive letter, not a host
    host = h;
    rest = p.replace(/[?#].*$/, '');
  }
  host = host.toLowerCase().replace(/^\[|\]$/g, '');
  const parts = rest
    .split('/')
    .filter((p) => p && p !== '.' && p !== '..')
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  if (!host || parts.length === 0 || parts.some((p) => p.includes('@') || p.includes('/'))) return undefined;
  const name = parts.pop()!.replace(/\.git$/i, ''); // parts is not empty (checked above)
  if (!name) return undefined;
  parts.push(name);
  return bounded(`${host}/${parts.join('/')}`);
}

/** Reads the checkout now: no cache. */
export function readGitAttribution(dir: string): GitAttribution {
  try {
    const dirs = gitDirs(dir);
    if (!dirs) return {};
    const out: GitAttribution = {};
    const branch = branchFromHead(readHead(path.join(dirs.gitDir, 'HEAD'), HEAD_MAX) ?? '');
    if (branch) out.branch = branch;
    const url = originUrl(readHead(path.join(dirs.commonDir, 'config'), CONFIG_MAX) ?? '');
    const repo = url === undefined ? undefined : normaliseRemote(url);
    if (repo) out.repo = repo;
    return out;
  } catch {
    return {};
  }
}

const CACHE_MAX = 512;

/**
 * readGitAttribution with a cache: a folder is read again once `ttlMs` has passed (a checkout changes
 * branch; metering a burst of requests must not stat the tree for each). Bounded: the oldest entry goes.
 */
export function cachedGitAttribution(ttlMs: number, now: () => number = Date.now): (dir: string) => GitAttribution {
  const cache = new Map<string, { at: number; value: GitAttribution }>();
  return (dir) => {
    const t = now();
    const hit = cache.get(dir);
    if (hit && t - hit.at < ttlMs) return hit.value;
    const value = readGitAttribution(dir);
    cache.delete(dir);
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
    cache.set(dir, { at: t, value });
    return value;
  };
}
