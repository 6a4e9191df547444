/**
 * Kimi CLI (MoonshotAI/kimi-cli): `<share dir>/sessions/<md5 of the work dir>/<session id>/wire.jsonl`, where the
 * share dir is `$KIMI_SHARE_DIR` (a leading `~` expanded), else `~/.kimi` (src/kimi_cli/share.py at
 * 0b88d484d15ae0e780aa36fd04a687cc7ff0d7c5; session.py `Session.create` at 02a40bfed2723849e65b9c595fa9c2766e63f26b).
 *
 * Rules (wire/file.py at b88bc47c10db4bc0197aaa238860efabde16ace7, wire/types.py at
 * 4cb7e92fc244f098b2402223b055df11b8647109, packages/kosong/src/kosong/chat_provider/__init__.py at
 * 262fae0d11c4c2c03dbba85d03939bf4d7a275e2):
 * - the file only grows (`append_record`); its first line is `{"type":"metadata","protocol_version":…}`, every
 *   other line `{"timestamp": <epoch seconds, float>, "message": {"type": <event class name>, "payload": {…}}}`;
 * - one LLM call is one step; its usage is a `StatusUpdate` whose payload holds `token_usage` (kosong's
 *   `TokenUsage`: `input_other` — input without cache reads and writes —, `output`, `input_cache_read`,
 *   `input_cache_creation`; disjoint) and `message_id`, the provider's id of that step's message. Other
 *   StatusUpdates (context size, plan mode, MCP status) carry no `token_usage`;
 * - a subagent's events reach the parent's wire wrapped in `SubagentEvent` (`payload.event` = `{type, payload}`):
 *   its steps are the subagent's calls, counted like the main agent's;
 * - the wire names no model (the model is in the user's config, not per step): the model is `unknown`,
 *   so the interaction is unpriced, never $0; nor does it name the work dir (only its md5): no project.
 * The id is the provider's message id, so a step read twice (the subagent's own file, a re-read) is stored once.
 */
import path from 'node:path';
import { tokens } from '../interaction';
import { MalformedLine, type LineParser, type ParsedRecord, type RootContext, type SourceAdapter } from './types';
import { count, expandHome, isObject, parseObject, str, unpriced, utcIso } from './util';

const NOTHING: readonly ParsedRecord[] = [];

/** The StatusUpdate payload of a line, from the main agent or wrapped in a SubagentEvent; null for anything else. */
function statusPayload(message: unknown): Record<string, unknown> | null {
  if (!isObject(message)) return null;
  if (message.type === 'SubagentEvent' && isObject(message.payload)) return statusPayload(message.payload.event);
  return message.type === 'StatusUpdate' && isObject(message.payload) ? message.payload : null;
}

function step(o: Record<string, unknown>): ParsedRecord | null {
  const p = statusPayload(o.message);
  if (!p || p.token_usage === undefined || p.token_usage === null) return null;
  if (!isObject(p.token_usage)) throw new MalformedLine('token_usage: expected an object');
  const u = p.token_usage;
  const w = 'token_usage';
  const t = tokens({
    input: count(u, 'input_other', w),
    output: count(u, 'output', w),
    cacheRead: count(u, 'input_cache_read', w),
    cacheWrite5m: count(u, 'input_cache_creation', w),
  });
  if (t.input + t.output + t.cacheRead + t.cacheWrite5m === 0) return null;
  const id = str(p.message_id);
  if (!id) throw new MalformedLine('message_id: expected the id of the step with this token_usage');
  return {
    interaction: unpriced({
      id: `kimi-cli:${id}`,
      at: utcIso(o.timestamp, 'timestamp'),
      agent: 'kimi-cli',
      project: null,
      model: 'unknown',
      tokens: t,
    }),
  };
}

function parser(): LineParser {
  return {
    line(text): readonly ParsedRecord[] {
      const r = step(parseObject(text));
      return r ? [r] : NOTHING;
    },
  };
}

function shareDir(ctx: RootContext): string {
  const dir = str(ctx.env.KIMI_SHARE_DIR?.trim());
  return dir ? path.resolve(expandHome(dir, ctx.home)) : path.join(ctx.home, '.kimi');
}

export const kimiCli: SourceAdapter = {
  id: 'kimi-cli',
  agent: 'kimi-cli',
  label: 'Kimi CLI',
  settingsKey: 'kimiCli',
  defaultRoots: (ctx) => [path.join(shareDir(ctx), 'sessions')],
  rootsFromSetting: (p) => [path.basename(p) === 'sessions' ? p : path.join(p, 'sessions')],
  matches: (file) => path.basename(file) === 'wire.jsonl',
  readMode: () => 'lines',
  needles: ['"token_usage"'],
  reportTornLines: true,
  createParser: () => parser(),
};
