/**
 * Factory Droid (closed source): `~/.factory/sessions/<folders>/<session id>.settings.json`, one JSON document per
 * session, rewritten in place as the session goes on. No writer source is public; the shape is the one
 * both public readers agree on: ccusage `rust/crates/ccusage/src/adapter/droid/{paths,parser}.rs` at
 * 5816e640e8824986f33427203da164b01394a161 and tokscale `packages/core/src/sessions/droid.rs` at
 * a496cca5f703337c33c0975d541e605ee731d03e.
 *
 * Rules:
 * - `tokenUsage {inputTokens, outputTokens, cacheCreationTokens, cacheReadTokens, thinkingTokens}` is the
 *   session's running total: one record per session (id = the file's session id) whose tokens grow; the
 *   ledger keeps the most complete copy, so a rewrite adds only what is new and never counts twice;
 * - both readers price input, cache writes and cache reads apart (disjoint counts) and add thinking
 *   tokens to output: reasoning is counted inside output here too;
 * - the time is `providerLockTimestamp` (when the session fixed its provider), else the file's mtime;
 *   a session's spend lands on that one instant, not spread over the days it ran;
 * - `model` is the session's model; a `custom:` (bring-your-own-key) model's display name is lower-cased
 *   and its bracketed provider removed, as both readers do. No model → `unknown`, never a default guessed
 *   from the provider;
 * - a running total is many requests: priced at base rates (`summed`), never at long-context ones.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { tokens } from '../interaction';
import type { LineParser, ParsedRecord, RootContext, SourceAdapter } from './types';
import { MalformedLine } from './types';
import { count, countSum, isObject, parseObject, segments, str, unpriced, utcIso } from './util';

const NOTHING: readonly ParsedRecord[] = [];
const SUFFIX = '.settings.json';

/** `custom:Claude-Opus-4.5-Thinking-[Anthropic]-0` → `claude-opus-4-5-thinking-0`, as both readers spell it. */
function modelOf(v: unknown): string {
  const raw = str(v);
  if (!raw?.startsWith('custom:')) return raw ?? 'unknown';
  const m = raw
    .slice('custom:'.length)
    .replace(/\[[^\]]*\]/g, '')
    .toLowerCase()
    .replace(/[.\s]/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  return m || 'unknown';
}

function timeOf(o: Record<string, unknown>, file: string): string {
  if (o.providerLockTimestamp !== undefined) return utcIso(o.providerLockTimestamp, 'providerLockTimestamp');
  try {
    return new Date(statSync(file).mtimeMs).toISOString();
  } catch {
    throw new MalformedLine('no providerLockTimestamp and the file is gone; not counted');
  }
}

function parser(file: string): LineParser {
  const session = segments(file).pop()!.slice(0, -SUFFIX.length);
  return {
    line(text): readonly ParsedRecord[] {
      const o = parseObject(text);
      if (!isObject(o.tokenUsage)) return NOTHING;
      const u = o.tokenUsage;
      const w = 'tokenUsage';
      const thinking = count(u, 'thinkingTokens', w);
      const t = {
        input: count(u, 'inputTokens', w),
        output: countSum(w, count(u, 'outputTokens', w), thinking),
        cacheWrite5m: count(u, 'cacheCreationTokens', w),
        cacheRead: count(u, 'cacheReadTokens', w),
        reasoning: thinking,
      };
      if (t.input + t.output + t.cacheWrite5m + t.cacheRead === 0) return NOTHING;
      return [
        {
          interaction: unpriced({
            id: `factory-droid:${session}`,
            at: timeOf(o, file),
            agent: 'factory-droid',
            project: null, // not in the settings file
            model: modelOf(o.model),
            tokens: tokens(t),
          }),
          summed: true,
        },
      ];
    },
  };
}

export const factoryDroid: SourceAdapter = {
  id: 'factory-droid',
  agent: 'factory-droid',
  label: 'Factory Droid',
  settingsKey: 'factoryDroid',
  defaultRoots: (ctx: RootContext) => [path.join(ctx.home, '.factory', 'sessions')],
  rootsFromSetting: (p) => [path.basename(p) === 'sessions' ? p : path.join(p, 'sessions')],
  matches: (file) => file.endsWith(SUFFIX) && segments(file).pop()!.length > SUFFIX.length,
  readMode: () => 'document',
  createParser: (file) => parser(file),
};
