/**
 * Branch and repository for records read from agents' logs (see Interaction.branch / .repo).
 * A log names the branch at the time of the request; the repository comes from the log when it
 * names a remote (Codex) or from the checkout at the log's `cwd` (Claude Code, Qwen Code), read once
 * per folder per process. Nothing is guessed: what the log and the checkout do not say stays absent.
 */
import type { Interaction } from '../interaction';
import { branchFromHead, normaliseRemote, readGitAttribution } from '../git';
import { isObject, str } from './util';

/** A branch name as a log wrote it; "HEAD" (git's answer on a detached checkout) names none. */
export function logBranch(v: unknown): string | undefined {
  const s = typeof v === 'string' ? v.trim() : '';
  if (!s || s === 'HEAD') return undefined;
  // Reuse the HEAD checks (length, control characters) by reading it as a symbolic ref.
  return branchFromHead(`ref: refs/heads/${s}`);
}

const repoByCwd = new Map<string, string | undefined>();
const CWD_CACHE_MAX = 1024;

/** The repository of the checkout holding `cwd`, read from its .git once per process. */
export function repoOfCwd(cwd: unknown): string | undefined {
  if (typeof cwd !== 'string' || cwd.length === 0) return undefined;
  if (repoByCwd.has(cwd)) return repoByCwd.get(cwd);
  const repo = readGitAttribution(cwd).repo;
  if (repoByCwd.size >= CWD_CACHE_MAX) repoByCwd.clear();
  repoByCwd.set(cwd, repo);
  return repo;
}

/** Codex's `session_meta.payload.git` ({commit_hash, branch, repository_url}, all optional). */
export function codexGit(git: unknown): { branch?: string; repo?: string } {
  if (!isObject(git)) return {};
  const branch = logBranch(git.branch);
  const url = str(git.repository_url);
  const repo = url === null ? undefined : normaliseRemote(url);
  return { ...(branch ? { branch } : {}), ...(repo ? { repo } : {}) };
}

/** Sets what is known, leaves the rest absent (never null: absent means "not recorded"). */
export function attribute<T extends Interaction>(i: T, a: { branch?: string; repo?: string }): T {
  if (a.branch !== undefined) i.branch = a.branch;
  if (a.repo !== undefined) i.repo = a.repo;
  return i;
}
