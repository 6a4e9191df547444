/**
 * Gemini CLI: `<GEMINI_CLI_HOME or ~>/.gemini/tmp/<project folder>/chats/`, as written by
 * google-gemini/gemini-cli `packages/core/src/services/chatRecordingService.ts` and
 * `packages/core/src/config/{storage,projectRegistry,storageMigration}.ts`
 * (read at commit 5411f113cafae26161b4969b0237b8e1e024e2c2):
 * - `session-<time>-<id8>.jsonl`: a metadata line (`sessionId`, `projectHash`, `kind`), then each
 *   message appended whole, again with the same id whenever it changes (its tokens arrive, tool
 *   calls are added), `{"$set": …}` metadata updates and `{"$rewindTo": id}` markers;
 * - `<parentSessionId>/<sessionId>.jsonl`: a subagent's own transcript (`kind: "subagent"`); the
 *   parent's file never holds the subagent's tokens, so both are read (from 2026-03-27, commit
 *   104587bae8, until JSONL on 2026-04-09, f744913584, a subagent wrote `<sessionId>.json`);
 * - `session-*.json`: older builds' one document, rewritten in place; resuming one copies it whole
 *   into `<same name>.jsonl` (same session and message ids) and leaves the `.json` behind.
 *
 * Rules:
 * - a `type: "gemini"` message with `tokens` is one request, id `gemini-cli:<session>:<message id>`:
 *   re-written copies, the migrated `.jsonl` copy of a `.json`, and the old `tmp/<sha256>` folder
 *   that gemini-cli copies (and keeps) into `tmp/<slug>` all carry the same ids, so each request
 *   is stored once whichever copy is read first;
 * - `$set` lines are metadata (a `$set.messages` checkpoint re-lists messages already written, with
 *   the same ids); `$rewindTo` removes messages from the chat, but their tokens were spent, so
 *   nothing is taken back;
 * - `input` includes `cached`; `thoughts` are billed as output (stored inside output, as
 *   reasoning); `tool` (tool-use prompt tokens) is extra input;
 * - project: the last segment of the path in `tmp/<slug>/.project_root`; for an old
 *   `tmp/<sha256>` folder, the slug folder whose `.project_root` hashes to that name; else none;
 * - model: the message's own `model`, or none (unpriced): never borrowed from another message.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { readHead } from '../git';
import { tokens } from '../interaction';
import type { LineParser, ParsedRecord, SourceAdapter } from './types';
import { MalformedLine } from './types';
import { count, countSum, isObject, parseObject, projectOf, segments, str, unpriced, utcIso } from './util';
import { nodeCrypto } from '../lazy';

/** `model` when a message does not name one: shown as "model not recorded", left unpriced. */
const NO_MODEL = 'unknown';
const NONE: readonly ParsedRecord[] = Object.freeze([]);

function message(m: Record<string, unknown>, session: string, project: string | null, where: string): readonly ParsedRecord[] {
  if (m.type !== 'gemini' || !isObject(m.tokens)) return NONE;
  const id = str(m.id);
  if (!id) throw new MalformedLine(`${where}.id: expected a message id, got ${JSON.stringify(m.id)}`);
  const t = m.tokens;
  const w = `${where}.tokens`;
  const input = count(t, 'input', w);
  const cached = Math.min(count(t, 'cached', w), input);
  const thoughts = count(t, 'thoughts', w);
  const output = countSum(w, count(t, 'output', w), thoughts);
  const tool = count(t, 'tool', w);
  if (input + output + tool === 0) return NONE;
  return [
    {
      interaction: unpriced({
        id: `gemini-cli:${session}:${id}`,
        at: utcIso(m.timestamp, `${where}.timestamp`),
        agent: 'gemini-cli',
        project,
        model: str(m.model) ?? NO_MODEL,
        tokens: tokens({ input: countSum(w, input - cached, tool), cacheRead: cached, output, reasoning: thoughts }),
      }),
    },
  ];
}

// --- where a file sits -------------------------------------------------------------------------

const MAIN = /[\\/]chats[\\/]session-[^\\/]*\.jsonl?$/;
const SUBAGENT = /[\\/]chats[\\/][^\\/]+[\\/][^\\/]+\.jsonl?$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** `<tmp>/<project folder>` of a chat file, or null when it does not sit in one. */
function projectFolder(file: string): { tmp: string; name: string } | null {
  const s = segments(file);
  const chats = MAIN.test(file) ? s.length - 2 : s.length - 3;
  if (chats < 2 || s[chats] !== 'chats') return null;
  return { tmp: s.slice(0, chats - 1).join(path.sep), name: s[chats - 1]! };
}

/** The project path a `tmp/<slug>` folder was made for (ProjectRegistry's ownership marker). */
function projectRoot(tmp: string, slug: string): string | null {
  const text = readHead(path.join(tmp, slug, '.project_root'), 4096)?.trim();
  return text ? text : null;
}

/**
 * For old `tmp/<sha256(project root)>` folders: which project hashes to each name, from the slug
 * folders' markers. Looked up again at most once a second per tmp folder, so a scan of many files
 * reads the markers once, and a project registered since is found on the next scan.
 */
const byHash = new Map<string, { at: number; roots: Map<string, string> }>();

function rootForHash(tmp: string, hash: string): string | null {
  let known = byHash.get(tmp);
  if (!known || (!known.roots.has(hash) && Date.now() - known.at > 1000)) {
    const roots = new Map<string, string>();
    let names: string[] = [];
    try {
      names = readdirSync(tmp);
    } catch {
      names = [];
    }
    for (const n of names.slice(0, 10_000)) {
      if (SHA256.test(n)) continue;
      const root = projectRoot(tmp, n);
      if (root) roots.set(nodeCrypto().createHash('sha256').update(root).digest('hex'), root);
    }
    known = { at: Date.now(), roots };
    if (byHash.size > 100) byHash.clear();
    byHash.set(tmp, known);
  }
  return known.roots.get(hash) ?? null;
}

/** The project a chat file belongs to, or null when Gemini CLI left nothing that names it. */
function geminiProject(file: string): string | null {
  const f = projectFolder(file);
  if (!f) return null;
  const root = SHA256.test(f.name) ? (projectRoot(f.tmp, f.name) ?? rootForHash(f.tmp, f.name)) : projectRoot(f.tmp, f.name);
  return projectOf(root);
}

// --- parsers -----------------------------------------------------------------------------------

function sessionFromName(file: string): string {
  return path.basename(file).replace(/\.jsonl?$/, '');
}

function jsonlParser(file: string, saved?: unknown): LineParser {
  const s = { session: isObject(saved) ? str(saved.session) : null };
  const project = geminiProject(file);
  return {
    save: () => ({ ...s }),
    line(text): readonly ParsedRecord[] {
      const o = parseObject(text);
      if ('$set' in o || '$rewindTo' in o) return NONE;
      if (!s.session) s.session = str(o.sessionId);
      return message(o, s.session ?? sessionFromName(file), project, 'message');
    },
  };
}

/** One bad message (a timestamp out of range, a count that is not a count) never costs the others. */
function documentParser(file: string): LineParser {
  const project = geminiProject(file);
  return {
    line(text, _lineNo, malformed): ParsedRecord[] {
      const o = parseObject(text);
      const session = str(o.sessionId) ?? sessionFromName(file);
      if (!Array.isArray(o.messages))
        throw new MalformedLine(`messages: expected an array, got ${JSON.stringify(o.messages)?.slice(0, 40)}`);
      const out: ParsedRecord[] = [];
      o.messages.forEach((m, i) => {
        if (!isObject(m)) return;
        try {
          out.push(...message(m, session, project, `messages[${i}]`));
        } catch (err) {
          if (!(err instanceof MalformedLine) || !malformed) throw err;
          malformed(err.message);
        }
      });
      return out;
    },
  };
}

export const geminiCli: SourceAdapter = {
  id: 'gemini-cli',
  agent: 'gemini-cli',
  label: 'Gemini CLI',
  settingsKey: 'geminiCli',
  // gemini-cli's homedir(): GEMINI_CLI_HOME, when set, takes the place of the home folder.
  defaultRoots: (ctx) => [path.join(ctx.env.GEMINI_CLI_HOME || ctx.home, '.gemini', 'tmp')],
  rootsFromSetting: (p) => {
    const base = path.basename(p);
    if (base === 'tmp') return [p];
    if (base === '.gemini') return [path.join(p, 'tmp')];
    return [path.join(p, 'tmp'), path.join(p, '.gemini', 'tmp')]; // a .gemini folder, or a GEMINI_CLI_HOME
  },
  matches: (file) => MAIN.test(file) || SUBAGENT.test(file),
  readMode: (file) => (file.endsWith('.json') ? 'document' : 'lines'),
  // A resumed `.json` session was copied whole into `<name>.jsonl`, which goes on from there.
  supersededBy: (file) => (file.endsWith('.json') ? `${file}l` : null),
  createParser: (file, saved) => (file.endsWith('.json') ? documentParser(file) : jsonlParser(file, saved)),
};
