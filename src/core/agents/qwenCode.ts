/**
 * Qwen Code (QwenLM/qwen-code, a Gemini CLI fork): `<runtime>/projects/<sanitised cwd>/chats/<session>.jsonl`,
 * where `<runtime>` is `$QWEN_RUNTIME_DIR`, else `$QWEN_HOME`, else `~/.qwen`
 * (packages/core/src/config/storage.ts). Records are appended, never rewritten
 * (packages/core/src/services/chatRecordingService.ts).
 *
 * Rules:
 * - a `type: "assistant"` record with `usageMetadata` is one model response; user, tool_result and
 *   system records (including `ui_telemetry`, which repeats the same usage) are not spend;
 * - the id is the record's `uuid` alone: `/branch` copies records verbatim into a new session file,
 *   keeping their uuids, and a forked copy is the same spend;
 * - `usageMetadata` is Gemini's shape but its meaning depends on the content generator that wrote it:
 *   Gemini's own API counts `thoughtsTokenCount` beside `candidatesTokenCount`, while the
 *   OpenAI-compatible converter (Qwen OAuth, DashScope, OpenRouter, …) writes `completion_tokens`,
 *   reasoning included, as candidates. `totalTokenCount` tells which: thoughts are separate only when
 *   the total adds them. `promptTokenCount` includes `cachedContentTokenCount` in both;
 * - branch: the record's `gitBranch` (createBaseRecord writes getGitBranch(projectRoot) on every
 *   record); repo: the origin remote of the checkout at `cwd`.
 */
import path from 'node:path';
import { tokens } from '../interaction';
import type { LineParser, ParsedRecord, RootContext, SourceAdapter } from './types';
import { MalformedLine } from './types';
import { count, countSum, expandHome, isObject, parseObject, projectOf, str, unpriced, utcIso } from './util';
import { attribute, logBranch, repoOfCwd } from './attribution';

const NOTHING: readonly ParsedRecord[] = [];

function split(u: Record<string, unknown>) {
  const w = 'usageMetadata';
  const prompt = count(u, 'promptTokenCount', w);
  const candidates = count(u, 'candidatesTokenCount', w);
  const thoughts = count(u, 'thoughtsTokenCount', w);
  const tool = count(u, 'toolUsePromptTokenCount', w);
  const total = count(u, 'totalTokenCount', w);
  const cached = Math.min(count(u, 'cachedContentTokenCount', w), prompt);
  if (prompt + candidates + tool === 0 && total > 0) {
    // Newer OpenAI-compatible converters keep only the total when the provider sent no breakdown.
    throw new MalformedLine(`${w}: only totalTokenCount (${total}), no input/output split; not counted`);
  }
  const separate = thoughts > 0 && total === prompt + candidates + thoughts + tool;
  const output = separate ? countSum(w, candidates, thoughts) : Math.max(candidates, thoughts);
  return { input: countSum(w, prompt - cached, tool), cacheRead: cached, output, reasoning: Math.min(thoughts, output) };
}

function parser(): LineParser {
  return {
    line(text): readonly ParsedRecord[] {
      const o = parseObject(text);
      if (o.type !== 'assistant' || !isObject(o.usageMetadata)) return NOTHING;
      const uuid = str(o.uuid);
      if (!uuid) throw new MalformedLine(`uuid: expected a record id, got ${JSON.stringify(o.uuid)?.slice(0, 40)}`);
      const t = split(o.usageMetadata);
      if (t.input + t.cacheRead + t.output === 0) return NOTHING;
      return [
        {
          interaction: attribute(
            unpriced({
              id: `qwen-code:${uuid}`,
              at: utcIso(o.timestamp, 'timestamp'),
              agent: 'qwen-code',
              project: projectOf(o.cwd),
              model: str(o.model) ?? 'unknown',
              tokens: tokens(t),
            }),
            { branch: logBranch(o.gitBranch), repo: repoOfCwd(o.cwd) },
          ),
        },
      ];
    },
  };
}

function runtimeDir(ctx: RootContext): string {
  const dir = str(ctx.env.QWEN_RUNTIME_DIR?.trim()) ?? str(ctx.env.QWEN_HOME?.trim());
  return dir ? path.resolve(expandHome(dir, ctx.home)) : path.join(ctx.home, '.qwen');
}

export const qwenCode: SourceAdapter = {
  id: 'qwen-code',
  agent: 'qwen-code',
  label: 'Qwen Code',
  settingsKey: 'qwenCode',
  defaultRoots: (ctx) => [path.join(runtimeDir(ctx), 'projects')],
  rootsFromSetting: (p) => [path.basename(p) === 'projects' ? p : path.join(p, 'projects')],
  matches: (file) => /[\\/]chats[\\/][^\\/]+\.jsonl$/.test(file),
  readMode: () => 'lines',
  needles: ['"usageMetadata"'],
  createParser: () => parser(),
};
