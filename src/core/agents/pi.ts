/**
 * pi (badlogic/pi-mono coding agent): `<agent dir>/sessions/--<cwd>--/<time>_<uuid>.jsonl`, where the agent
 * dir is `$PI_CODING_AGENT_DIR` (a leading `~` expanded), else `~/.pi/agent` (packages/coding-agent/src/config.ts,
 * `getAgentDir`, `getSessionsDir`; session-manager.ts `getDefaultSessionDir`). Read at commit
 * 83378aad7e74a0e2bb8f37c007a9685fb4609d8a.
 *
 * Rules:
 * - the first line is the session header `{type:"session", cwd, …}`: the project;
 * - a `{type:"message", message:{role:"assistant", api, provider, model, usage, timestamp}}` line is one
 *   response; `usage` is pi-ai's `Usage` `{input, output, cacheRead, cacheWrite, totalTokens, cost}`
 *   (packages/ai/src/types.ts), with `cost.total` in dollars from pi's own model table: kept beside ours;
 * - lines are appended (`_persist`), but a session is rewritten whole when resumed from an older
 *   version (`migrateToCurrentVersion`, which gives v1 entries new ids) and a fork (`forkFrom`,
 *   `createBranchedSession`) copies entries verbatim into a new session file. So the id is the
 *   response itself: its millisecond timestamp, model and counts, never the entry id or the session;
 * - the providers fill `usage` differently: Anthropic and Bedrock write disjoint counts, the OpenAI ones
 *   subtract cached tokens from input, but `google-generative-ai` and `google-vertex` write Gemini's
 *   `promptTokenCount`, which includes `cachedContentTokenCount` (providers/google.ts, google-vertex.ts):
 *   the cached part is taken out of input there. Reasoning is inside `output` and not recorded apart.
 *   (providers/openai-completions.ts adds `reasoning_tokens` to `completion_tokens`, which already holds
 *   them: that log overstates output, and nothing in it lets a reader undo it.)
 */
import path from 'node:path';
import { tokens } from '../interaction';
import { usdToNanos } from '../money';
import type { LineParser, ParsedRecord, RootContext, SourceAdapter } from './types';
import { count, expandHome, isObject, parseObject, projectOf, str, unpriced, utcIso } from './util';

const NOTHING: readonly ParsedRecord[] = [];
const PROMPT_INCLUDES_CACHED = new Set(['google-generative-ai', 'google-vertex']);

function response(o: Record<string, unknown>, cwd: string | null): ParsedRecord | null {
  const m = o.message;
  if (!isObject(m) || m.role !== 'assistant' || !isObject(m.usage)) return null;
  const u = m.usage;
  const w = 'message.usage';
  const cacheRead = count(u, 'cacheRead', w);
  const cacheWrite = count(u, 'cacheWrite', w);
  let input = count(u, 'input', w);
  if (PROMPT_INCLUDES_CACHED.has(str(m.api) ?? '')) input = Math.max(0, input - cacheRead);
  const output = count(u, 'output', w);
  if (input + output + cacheRead + cacheWrite === 0) return null; // an aborted or failed request
  const at = utcIso(m.timestamp ?? o.timestamp, 'message.timestamp');
  const model = str(m.model) ?? 'unknown';
  const r: ParsedRecord = {
    interaction: unpriced({
      id: `pi:${Date.parse(at)}:${model}:${input}/${cacheRead}/${cacheWrite}/${output}`,
      at,
      agent: 'pi',
      project: projectOf(cwd),
      model,
      tokens: tokens({ input, output, cacheRead, cacheWrite5m: cacheWrite }),
    }),
  };
  const cost = isObject(u.cost) ? u.cost.total : undefined;
  // 0 is what pi writes for a model whose price it does not know (a custom or local one): not a price.
  if (typeof cost === 'number' && Number.isFinite(cost) && cost > 0 && cost <= 1e9) r.reportedCostNanos = usdToNanos(cost);
  return r;
}

function parser(saved: unknown): LineParser {
  let cwd: string | null = isObject(saved) ? str(saved.cwd) : null;
  return {
    line(text): readonly ParsedRecord[] {
      const o = parseObject(text);
      if (o.type === 'session') {
        cwd = str(o.cwd);
        return NOTHING;
      }
      if (o.type !== 'message') return NOTHING;
      const r = response(o, cwd);
      return r ? [r] : NOTHING;
    },
    save: () => ({ cwd }),
  };
}

function agentDir(ctx: RootContext): string {
  const dir = str(ctx.env.PI_CODING_AGENT_DIR?.trim());
  return dir ? path.resolve(expandHome(dir, ctx.home)) : path.join(ctx.home, '.pi', 'agent');
}

export const pi: SourceAdapter = {
  id: 'pi',
  agent: 'pi',
  label: 'pi',
  settingsKey: 'pi',
  defaultRoots: (ctx) => [path.join(agentDir(ctx), 'sessions')],
  rootsFromSetting: (p) => [path.basename(p) === 'sessions' ? p : path.join(p, 'sessions')],
  matches: (file) => /\.jsonl$/.test(file),
  readMode: () => 'lines',
  needles: ['"usage"', '"type":"session"'],
  leadNeedles: ['"role":"assistant"'],
  reportTornLines: true,
  createParser: (_file, saved) => parser(saved),
};
