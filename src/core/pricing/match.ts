/**
 * Model name → price-table key. Names arrive as `claude-sonnet-4-5-20250929`, `anthropic/claude-sonnet-4.5`,
 * `us.anthropic.claude-sonnet-4-5-20250929-v1:0`, `claude-sonnet-4-5@20250929`, `gpt-5-codex`, `qwen3-coder:30b` …
 *
 * In order, first hit wins:
 *   1. the exact key;
 *   2. the same name once normalised (lower case, provider path and Bedrock region/vendor prefix and version
 *      suffix removed, `.` and `@` read as `-`), or an alias Anthropic documents;
 *   3. the same name with a trailing date removed from the name or the key (8 digits or YYYY-MM-DD);
 *   4. containment, marked inferred: a key found inside the name (the LONGEST such key wins) or else the
 *      name inside a key, on `-` boundaries, where what the longer one adds is not a version number (so
 *      `claude-sonnet-4-5` never matches `claude-sonnet-4`, nor the other way round).
 * Anything else is unmatched (unpriced), never $0.
 */
import { baseModelName } from './litellm';

/** Anthropic's documented moving aliases whose targets LiteLLM lists only under the dated id. */
const ALIASES: Record<string, string> = {
  'claude-opus-4-0': 'claude-opus-4-20250514',
  'claude-sonnet-4-0': 'claude-sonnet-4-20250514',
  'claude-3-7-sonnet-latest': 'claude-3-7-sonnet-20250219',
  'claude-3-5-sonnet-latest': 'claude-3-5-sonnet-20241022',
  'claude-3-5-haiku-latest': 'claude-3-5-haiku-20241022',
  'claude-3-opus-latest': 'claude-3-opus-20240229',
};

const DATE_SUFFIX = /-(?:\d{8}|\d{4}-\d{2}-\d{2})$/;

/** The comparable form of a model name or key. */
export function normaliseModelName(name: string): string {
  let n = baseModelName(
    name
      .trim()
      .toLowerCase()
      .replace(/\[[^\]]*\]$/, ''),
  ); // Claude Code's `[1m]` context tag
  n = n.replace(/@(?:default|latest)$/, ''); // Vertex AI's version pins that name no version
  n = n.replace(/-v\d+(?::\d+)?$/, '').replace(/:\d+$/, ''); // Bedrock's -v1:0 / -v1 / :0
  return n.replace(/[.@]/g, '-');
}

function stripDate(n: string): string {
  return n.replace(DATE_SUFFIX, '');
}

/** True when `extra` (what a longer name adds after the shorter one, without the joining `-`) names no other version. */
function addsNoVersion(extra: string): boolean {
  if (extra === '') return true;
  if (/^(?:\d{8}|\d{4}-\d{2}-\d{2})(?:-|$)/.test(extra)) return true; // a date
  return !/^\d/.test(extra);
}

/** Where `needle` sits inside `hay` on `-` boundaries with nothing version-like after it, or -1. */
function boundaryIndex(hay: string, needle: string): number {
  for (let i = hay.indexOf(needle); i !== -1; i = hay.indexOf(needle, i + 1)) {
    const before = i === 0 || hay[i - 1] === '-';
    const end = i + needle.length;
    const after = end === hay.length || (hay[end] === '-' && addsNoVersion(hay.slice(end + 1)));
    if (before && after) return i;
  }
  return -1;
}

export interface KeyMatch {
  key: string;
  inferred: boolean;
}

interface Candidate {
  key: string;
  norm: string;
  undated: string;
  rank: number;
}

/**
 * An index over one set of keys. `rank` orders keys that normalise alike: lower wins (e.g. the
 * first-party `claude-…` key over `vertex_ai/claude-…`).
 */
export class ModelIndex {
  private readonly exact = new Map<string, string>();
  private readonly byNorm = new Map<string, Candidate>();
  private readonly byUndated = new Map<string, Candidate>();
  private readonly all: Candidate[] = [];

  /** `nameOf` gives the model name behind a key when keys carry more than the name (e.g. a source tag). */
  constructor(keys: Iterable<string>, rank: (key: string) => number = () => 0, nameOf: (key: string) => string = (k) => k) {
    for (const key of keys) {
      const name = nameOf(key);
      if (!this.exact.has(name) || rank(key) < rank(this.exact.get(name)!)) this.exact.set(name, key);
      const norm = normaliseModelName(name);
      const c: Candidate = { key, norm, undated: stripDate(norm), rank: rank(key) };
      this.all.push(c);
      if (better(c, this.byNorm.get(norm))) this.byNorm.set(norm, c);
      if (undatedBetter(c, this.byUndated.get(c.undated))) this.byUndated.set(c.undated, c);
    }
  }

  /** Exact key, else normalised name, alias or date (the best-ranked of those): a match that names the model. */
  named(name: string): KeyMatch | null {
    const exact = this.exact.get(name);
    if (exact !== undefined) return { key: exact, inferred: false };
    const n = normaliseModelName(name);
    if (n === '') return null;
    let hit: Candidate | undefined;
    for (const c of [
      this.byNorm.get(n),
      ALIASES[n] !== undefined ? this.byNorm.get(ALIASES[n]) : undefined,
      this.byUndated.get(stripDate(n)),
    ]) {
      if (c && (!hit || c.rank < hit.rank)) hit = c;
    }
    return hit ? { key: hit.key, inferred: false } : null;
  }

  /**
   * Containment on `-` boundaries, marked inferred. A key found inside the name wins over a name found
   * inside a key; among keys inside the name the LONGEST wins (the most specific model the name still
   * names), among keys that contain the name the shortest (the least that was added to it).
   */
  contained(name: string): KeyMatch | null {
    const n = stripDate(normaliseModelName(name));
    if (n.length < 2 || !/[a-z]/.test(n)) return null;
    let inside: Candidate | undefined;
    let around: Candidate | undefined;
    for (const c of this.all) {
      const k = c.undated;
      if (k.length < n.length) {
        if (
          boundaryIndex(n, k) !== -1 &&
          (!inside || k.length > inside.undated.length || (k.length === inside.undated.length && better(c, inside)))
        )
          inside = c;
      } else if (
        boundaryIndex(k, n) !== -1 &&
        (!around || k.length < around.undated.length || (k.length === around.undated.length && better(c, around)))
      ) {
        around = c;
      }
    }
    const best = inside ?? around;
    return best ? { key: best.key, inferred: true } : null;
  }
}

/** Among the keys of one model with and without dates: best rank, then the undated key, then the newest date. */
function undatedBetter(c: Candidate, than: Candidate | undefined): boolean {
  if (!than) return true;
  if (c.rank !== than.rank) return c.rank < than.rank;
  const cUndated = c.norm === c.undated;
  if (cUndated !== (than.norm === than.undated)) return cUndated;
  if (c.norm !== than.norm) return c.norm > than.norm;
  return better(c, than);
}

function better(c: Candidate, than: Candidate | undefined): boolean {
  if (!than) return true;
  if (c.rank !== than.rank) return c.rank < than.rank;
  if (c.key.length !== than.key.length) return c.key.length < than.key.length;
  return c.key < than.key;
}
