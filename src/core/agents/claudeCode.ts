/**
 * Claude Code (CLI and its VS Code extension): `<config>/projects/**.jsonl`, one JSON object per line.
 *
 * Rules (the traps are listed in README.md beside this file):
 * - only top-level `message.usage` is spend; `progress` lines carry copies of a subagent's usage
 *   at data.message.message.usage, which the subagent's own transcript already holds;
 * - `<synthetic>` lines are local placeholders, not requests;
 * - id = `anthropic:<message.id>`, the id the API returned, so the same response seen by the
 *   gateway is stored once. The content-block copies of one response share it, and the ledger
 *   keeps the copy with the most tokens (early copies carry a partial output count);
 * - a sidechain copy (a `/btw` replay of a parent message) never replaces the parent's copy;
 * - cache writes split into 5-minute and 1-hour from usage.cache_creation (all 5-minute without it);
 * - usage.speed "fast" marks fast mode, billed at a multiple;
 * - project: the last segment of the line's `cwd`; a line without one (some subagent transcripts)
 *   takes the project of the `projects/<encoded cwd>/` folder its file sits in (claudeFolderProject);
 * - branch: the line's `gitBranch` (Claude Code writes the checkout's branch on every line; "HEAD"
 *   or "" when detached or outside git: none); repo: the origin remote of the checkout at `cwd`.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { readHead } from '../git';
import { totalTokens, type Tokens } from '../interaction';
import type { LineParser, ParsedRecord, RootContext, SourceAdapter } from './types';
import { JsonScan, JsonScanError, StringCache } from './jsonScan';
import { count, isObject, parseObject, projectOf, segments, str, unpriced, utcIso } from './util';
import { attribute, logBranch, repoOfCwd } from './attribution';

function configDirs(ctx: RootContext): string[] {
  const configured = ctx.env.CLAUDE_CONFIG_DIR?.trim();
  if (configured) {
    return configured
      .split(',')
      .map((d) => d.trim())
      .filter(Boolean);
  }
  const xdg = ctx.env.XDG_CONFIG_HOME?.trim() || path.join(ctx.home, '.config');
  return [path.join(ctx.home, '.claude'), path.join(xdg, 'claude')];
}

/** The members of a line that metering reads; everything else is never built. */
interface Fields {
  type: unknown;
  isSidechain: unknown;
  cwd: unknown;
  gitBranch: unknown;
  sessionId: unknown;
  uuid: unknown;
  timestamp: unknown;
  /** message is an object */
  message: boolean;
  id: unknown;
  model: unknown;
  usage: unknown;
}

function fieldsOf(o: Record<string, unknown>): Fields {
  const m = o.message;
  const msg = isObject(m);
  return {
    type: o.type,
    isSidechain: o.isSidechain,
    cwd: o.cwd,
    gitBranch: o.gitBranch,
    sessionId: o.sessionId,
    uuid: o.uuid,
    timestamp: o.timestamp,
    message: msg,
    id: msg ? m.id : undefined,
    model: msg ? m.model : undefined,
    usage: msg ? m.usage : undefined,
  };
}

/** Returned for the many lines that produce nothing: no array allocated per line. */
const NONE: readonly ParsedRecord[] = Object.freeze([]);

/**
 * Reads the members of one line after another straight from the bytes (fieldsOf's members);
 * throws JsonScanError for anything it cannot walk. A cold import walks about 250,000 usage lines
 * per GB, so one walker, one set of fields and its callbacks serve a whole file, and only what a
 * record needs is decoded: `type` is compared in place, cwd and model are reused while their bytes
 * repeat, and `sessionId` / `uuid` (the fallback id) are decoded only for a line without a message id.
 */
class LineScanner {
  private readonly j = new JsonScan(Buffer.alloc(0), 0, 0);
  private readonly f: Fields = {
    type: undefined,
    isSidechain: undefined,
    cwd: undefined,
    gitBranch: undefined,
    sessionId: undefined,
    uuid: undefined,
    timestamp: undefined,
    message: false,
    id: undefined,
    model: undefined,
    usage: undefined,
  };
  /** message.usage: the counts as plain digits, `speed` and the cache_creation split (read again for every line). */
  private readonly u: Record<string, unknown> = {
    input_tokens: undefined,
    output_tokens: undefined,
    cache_read_input_tokens: undefined,
    cache_creation_input_tokens: undefined,
    speed: undefined,
    cache_creation: undefined,
  };
  private readonly cc: Record<string, unknown> = { ephemeral_5m_input_tokens: undefined, ephemeral_1h_input_tokens: undefined };
  private readonly cwd = new StringCache();
  private readonly branch = new StringCache();
  private readonly model = new StringCache();
  private sessionAt = -1;
  private uuidAt = -1;

  scan(buf: Buffer, start: number, end: number): Fields {
    const { j, f } = this;
    j.reset(buf, start, end);
    f.type = f.isSidechain = f.cwd = f.gitBranch = f.sessionId = f.uuid = f.timestamp = f.id = f.model = f.usage = undefined;
    f.message = false;
    this.sessionAt = this.uuidAt = -1;
    j.object(this.top);
    j.done();
    if (!str(f.id)) {
      // Read where they were seen (the last copy of a repeated key, as JSON.parse keeps).
      if (this.sessionAt >= 0) f.sessionId = new JsonScan(buf, this.sessionAt, end).string();
      if (this.uuidAt >= 0) f.uuid = new JsonScan(buf, this.uuidAt, end).string();
    }
    return f;
  }

  private readonly top = (ks: number, ke: number): boolean => {
    const { j, f } = this;
    switch (ke - ks) {
      case 4:
        if (j.is(ks, ke, 'type')) return ((f.type = j.stringIs('progress') ? 'progress' : null), true);
        if (j.is(ks, ke, 'uuid')) return ((this.uuidAt = j.range()[0]), true);
        return false;
      case 3:
        return j.is(ks, ke, 'cwd') ? ((f.cwd = j.cachedString(this.cwd)), true) : false;
      case 9:
        if (j.is(ks, ke, 'sessionId')) return ((this.sessionAt = j.range()[0]), true);
        if (j.is(ks, ke, 'timestamp')) return ((f.timestamp = j.string()), true);
        if (j.is(ks, ke, 'gitBranch')) return ((f.gitBranch = j.cachedString(this.branch)), true);
        return false;
      case 11:
        return j.is(ks, ke, 'isSidechain') ? ((f.isSidechain = j.boolean()), true) : false;
      case 7:
        if (!j.is(ks, ke, 'message') || j.ws() !== 0x7b) return false;
        f.message = true;
        f.id = f.model = f.usage = undefined;
        j.object(this.message);
        return true;
      default:
        return false;
    }
  };

  private readonly message = (mk: number, me: number): boolean => {
    const { j, f } = this;
    if (j.is(mk, me, 'id')) return ((f.id = j.string()), true);
    if (j.is(mk, me, 'model')) return ((f.model = j.cachedString(this.model)), true);
    if (!j.is(mk, me, 'usage')) return false;
    if (j.ws() !== 0x7b) {
      j.skip();
      f.usage = null;
      return true;
    }
    const u = this.u;
    u.input_tokens = u.output_tokens = u.cache_read_input_tokens = u.cache_creation_input_tokens = u.speed = u.cache_creation = undefined;
    j.object(this.usage);
    f.usage = u;
    return true;
  };

  /** Any other form of a count (written as "12", a fraction) throws, and JSON.parse decides. */
  private readonly usage = (ks: number, ke: number): boolean => {
    const { j, u } = this;
    switch (ke - ks) {
      case 12:
        if (j.is(ks, ke, 'input_tokens')) return ((u.input_tokens = j.count()), true);
        return false;
      case 13:
        if (j.is(ks, ke, 'output_tokens')) return ((u.output_tokens = j.count()), true);
        return false;
      case 23:
        if (j.is(ks, ke, 'cache_read_input_tokens')) return ((u.cache_read_input_tokens = j.count()), true);
        return false;
      case 27:
        if (j.is(ks, ke, 'cache_creation_input_tokens')) return ((u.cache_creation_input_tokens = j.count()), true);
        return false;
      case 5:
        if (j.is(ks, ke, 'speed')) return ((u.speed = j.string()), true);
        return false;
      case 14:
        if (!j.is(ks, ke, 'cache_creation')) return false;
        if (j.ws() !== 0x7b) throw new JsonScanError('cache_creation is not an object');
        this.cc.ephemeral_5m_input_tokens = this.cc.ephemeral_1h_input_tokens = undefined;
        j.object(this.cacheCreation);
        u.cache_creation = this.cc;
        return true;
      default:
        return false;
    }
  };

  private readonly cacheCreation = (ck: number, ce: number): boolean => {
    const { j, cc } = this;
    if (j.is(ck, ce, 'ephemeral_5m_input_tokens')) return ((cc.ephemeral_5m_input_tokens = j.count()), true);
    if (j.is(ck, ce, 'ephemeral_1h_input_tokens')) return ((cc.ephemeral_1h_input_tokens = j.count()), true);
    return false;
  };
}

/** Claude Code's own folder name for a cwd: every character but an ASCII letter or digit becomes `-`. */
export function encodeClaudeProject(cwd: string): string {
  return cwd.replace(/[^a-zA-Z0-9]/g, '-');
}

/** A cwd written in the first bytes of a transcript whose folder name it encodes to, or null. */
function cwdIn(file: string, folder: string): string | null {
  const text = readHead(file, 256 * 1024);
  if (text === null) return null;
  for (const m of text.matchAll(/"cwd":("(?:[^"\\]|\\.)*")/g)) {
    let cwd: unknown;
    try {
      cwd = JSON.parse(m[1]!);
    } catch {
      continue;
    }
    if (typeof cwd === 'string' && encodeClaudeProject(cwd) === folder) return cwd;
  }
  return null;
}

/** Per folder: the project found, and whether it came from a cwd (else looked for again after a minute). */
const folderProjects = new Map<string, { project: string | null; fromCwd: boolean; at: number }>();

/**
 * The project of a transcript whose lines carry no `cwd` (some subagent transcripts), from the
 * `projects/<encoded cwd>/` folder it sits in. The encoding is lossy (`/home/dev/my_app` and
 * `/home/dev/my-app` both become `-home-dev-my-app`), so a cwd is taken from the parent session
 * (`<folder>/<session>.jsonl`) or another transcript of the folder when one encodes to the folder's
 * name; only without one is the project the folder name's last `-` part (`app`).
 */
function claudeFolderProject(file: string): string | null {
  const s = segments(file);
  let i = s.length - 3;
  while (i >= 0 && s[i] !== 'projects') i--;
  if (i < 0) return null;
  const folder = s[i + 1]!; // i <= s.length - 3
  const dir = s.slice(0, i + 2).join(path.sep);
  const known = folderProjects.get(dir);
  if (known && (known.fromCwd || Date.now() - known.at < 60_000)) return known.project;
  if (folderProjects.size > 10_000) folderProjects.clear();
  const candidates = [path.join(dir, `${s[i + 2]}.jsonl`)];
  try {
    for (const n of readdirSync(dir).slice(0, 50)) if (n.endsWith('.jsonl')) candidates.push(path.join(dir, n));
  } catch {
    // an unreadable folder: the name is all there is
  }
  for (const c of candidates.slice(0, 20)) {
    const p = projectOf(cwdIn(c, folder));
    if (p) {
      folderProjects.set(dir, { project: p, fromCwd: true, at: Date.now() });
      return p;
    }
  }
  const p = folder.split('-').filter(Boolean).pop() ?? null;
  folderProjects.set(dir, { project: p, fromCwd: false, at: Date.now() });
  return p;
}

function parser(file: string): LineParser {
  const fallbackSession = path.basename(file, '.jsonl');
  let fromFolder: string | null | undefined;
  const projectFor = (cwd: unknown): string | null =>
    projectOf(cwd) ?? (fromFolder === undefined ? (fromFolder = claudeFolderProject(file)) : fromFolder);
  // The content-block copies of one response come one after another: hold the most complete and
  // hand it over when another response starts or the read ends (end()), not once per copy.
  let held: ParsedRecord | null = null;
  let heldTotal = 0;
  // Every line of a session names the same branch (the scanner hands back the same string while its
  // bytes repeat): check it once, not once per record.
  let gitRaw: unknown = null;
  let gitBranch: string | undefined;
  const branchOf = (v: unknown) => (v === gitRaw ? gitBranch : ((gitRaw = v), (gitBranch = logBranch(v))));
  const fromFields = (f: Fields, lineNo: number): readonly ParsedRecord[] => {
    // Progress lines and every line without a top-level message.usage carry no spend of their own.
    if (f.type === 'progress' || !f.message || !isObject(f.usage)) return NONE;
    if (f.model === '<synthetic>') return NONE;
    const u = f.usage;
    const where = 'message.usage';
    const cc = u.cache_creation;
    let w5: number;
    let w1h: number;
    if (isObject(cc)) {
      w5 = count(cc, 'ephemeral_5m_input_tokens', `${where}.cache_creation`);
      w1h = count(cc, 'ephemeral_1h_input_tokens', `${where}.cache_creation`);
    } else {
      w5 = count(u, 'cache_creation_input_tokens', where);
      w1h = 0;
    }
    const t: Tokens = {
      input: count(u, 'input_tokens', where),
      output: count(u, 'output_tokens', where),
      cacheRead: count(u, 'cache_read_input_tokens', where),
      cacheWrite5m: w5,
      cacheWrite1h: w1h,
      reasoning: 0,
    };
    const at = utcIso(f.timestamp, 'timestamp');
    const messageId = str(f.id);
    const id = messageId
      ? `anthropic:${messageId}`
      : `claude-code:${str(f.sessionId) ?? fallbackSession}:${str(f.uuid) ?? `line${lineNo}`}`;
    const sidechain = f.isSidechain === true;
    const total = totalTokens(t);
    if (held && held.interaction.id === id && !!held.sidechain === sidechain) {
      if (total <= heldTotal) return NONE;
      held = null; // the newer copy is more complete: it replaces the held one below
    }
    const record: ParsedRecord = {
      interaction: attribute(
        unpriced({
          id,
          at,
          agent: 'claude-code',
          project: projectFor(f.cwd),
          model: str(f.model) ?? 'unknown',
          tokens: t,
          fast: u.speed === 'fast',
        }),
        { branch: branchOf(f.gitBranch), repo: repoOfCwd(f.cwd) },
      ),
    };
    if (sidechain) record.sidechain = true;
    const out = held ? [held] : NONE;
    held = record;
    heldTotal = total;
    return out;
  };
  const line = (text: string, lineNo: number) => fromFields(fieldsOf(parseObject(text)), lineNo);
  const scanner = new LineScanner();
  return {
    line,
    end() {
      const out = held ? [held] : [];
      held = null;
      return out;
    },
    lineBytes(buf, start, end, lineNo) {
      let f: Fields;
      try {
        f = scanner.scan(buf, start, end);
      } catch (err) {
        if (err instanceof JsonScanError || err instanceof SyntaxError) return line(buf.toString('utf8', start, end), lineNo);
        throw err;
      }
      return fromFields(f, lineNo);
    },
  };
}

export const claudeCode: SourceAdapter = {
  id: 'claude-code',
  agent: 'claude-code',
  label: 'Claude Code',
  settingsKey: 'claudeCode',
  defaultRoots: (ctx) => configDirs(ctx).map((d) => path.join(d, 'projects')),
  rootsFromSetting: (p) => [path.basename(p) === 'projects' ? p : path.join(p, 'projects')],
  matches: (file) => file.endsWith('.jsonl'),
  readMode: () => 'lines',
  needles: ['"usage"'],
  // `"role":"assistant"` comes before the content of every response line, `"usage"` after it: a line
  // cut before its usage still starts like a response, is parsed, fails, and is counted as malformed.
  // Every whole response line has usage anyway, so this parses next to nothing more.
  leadNeedles: ['"role":"assistant"'],
  // Parents before subagent transcripts, so a replayed parent message finds the parent's copy stored.
  order: (file) => (/[\\/]subagents[\\/]/.test(file) ? 1 : 0),
  createParser: (file) => parser(file),
};
