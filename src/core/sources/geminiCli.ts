/**
 * Gemini CLI: `~/.gemini/tmp/<projectHash>/chats/session-*.jsonl` (older builds: one `.json`
 * document per session, rewritten whole).
 *
 * Rules (see shared/reference/agent-logs.md):
 * - a `type: "gemini"` message with `tokens` is one request. A message is appended again with the
 *   same id when its tokens arrive: the id is `gemini-cli:<session>:<message id>` and the ledger
 *   keeps the most complete copy;
 * - `{"$set": …}` lines are metadata, not spend; `{"$rewindTo": id}` removes messages from the
 *   chat, but their tokens were spent, so nothing is taken back;
 * - `input` includes `cached`; `thoughts` are billed as output (stored inside output, as reasoning);
 *   `tool` (tool-use prompt tokens) is extra input.
 */
import path from 'node:path';
import { tokens } from '../interaction';
import type { LineParser, ParsedRecord, SourceAdapter } from './types';
import { MalformedLine } from './types';
import { count, isObject, parseObject, str, unpriced, utcIso } from './util';

function message(m: Record<string, unknown>, session: string, fallbackModel: string | null, where: string): ParsedRecord[] {
  if (m.type !== 'gemini' || !isObject(m.tokens)) return [];
  const id = str(m.id);
  if (!id) throw new MalformedLine(`${where}.id: expected a message id, got ${JSON.stringify(m.id)}`);
  const t = m.tokens as Record<string, unknown>;
  const w = `${where}.tokens`;
  const input = count(t, 'input', w);
  const cached = Math.min(count(t, 'cached', w), input);
  const thoughts = count(t, 'thoughts', w);
  const output = count(t, 'output', w) + thoughts;
  const tool = count(t, 'tool', w);
  if (input + output + tool === 0) return [];
  return [
    {
      interaction: unpriced({
        id: `gemini-cli:${session}:${id}`,
        at: utcIso(m.timestamp, `${where}.timestamp`),
        agent: 'gemini-cli',
        project: null,
        model: str(m.model) ?? fallbackModel ?? 'unknown',
        tokens: tokens({ input: input - cached + tool, cacheRead: cached, output, reasoning: thoughts }),
      }),
    },
  ];
}

function sessionFromName(file: string): string {
  return path.basename(file).replace(/\.jsonl?$/, '');
}

function jsonlParser(file: string, saved?: unknown): LineParser {
  const s = isObject(saved) ? (saved as { session: string | null; model: string | null }) : { session: null, model: null };
  return {
    save: () => ({ ...s }),
    line(text): ParsedRecord[] {
      const o = parseObject(text);
      if ('$set' in o || '$rewindTo' in o) return [];
      if (!s.session) s.session = str(o.sessionId) ?? str(o.session_id);
      if (str(o.model)) s.model = o.model as string;
      return message(o, s.session ?? sessionFromName(file), s.model, 'message');
    },
  };
}

function documentParser(file: string): LineParser {
  return {
    line(text): ParsedRecord[] {
      const o = parseObject(text);
      const session = str(o.sessionId) ?? str(o.session_id) ?? sessionFromName(file);
      if (!Array.isArray(o.messages)) throw new MalformedLine(`messages: expected an array, got ${JSON.stringify(o.messages)?.slice(0, 40)}`);
      const out: ParsedRecord[] = [];
      let model: string | null = null;
      o.messages.forEach((m, i) => {
        if (!isObject(m)) return;
        if (str(m.model)) model = m.model as string;
        out.push(...message(m, session, model, `messages[${i}]`));
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
  defaultRoots: (ctx) => [path.join(ctx.home, '.gemini', 'tmp')],
  rootsFromSetting: (p) => [path.basename(p) === 'tmp' ? p : path.join(p, 'tmp')],
  matches: (file) => /[\\/]chats[\\/]session-[^\\/]*\.jsonl?$/.test(file),
  readMode: (file) => (file.endsWith('.json') ? 'document' : 'lines'),
  createParser: (file, saved) => (file.endsWith('.json') ? documentParser(file) : jsonlParser(file, saved)),
};
