/**
 * Continue (continuedev/continue, the VS Code / JetBrains extension and `cn`):
 * `<global dir>/dev_data/0.2.0/tokensGenerated.jsonl`, where the global dir is `$CONTINUE_GLOBAL_DIR`,
 * else `~/.continue` (core/util/paths.ts `getContinueGlobalPath`, `getDevDataFilePath`). Read at commit
 * d0a3c0b626b5bebc3bef4742eec05a0242be0bab.
 *
 * Rules:
 * - `BaseLLM._logEnd` (core/llm/index.ts) logs one `tokensGenerated` event per model call, chat and
 *   autocomplete alike; `DataLogger.logLocalData` (core/data/log.ts) appends it, checked against the
 *   `0.2.0` schema (packages/config-yaml/src/schemas/data/tokensGenerated/v0.2.0.ts), to the file of the
 *   schema version `LOCAL_DEV_DATA_VERSION` (`0.2.0` since the logger was written in January 2025);
 * - the counts are Continue's own tokenizer run over the rendered prompt and the completion text
 *   (`this.countTokens(prompt)`), never the provider's usage: the records are marked estimated, and
 *   there is no cache split (a cached prompt counts as input);
 * - the event carries no id and no workspace: the id is its time and line number (the file is only
 *   appended, so a line keeps its number), the project is not recorded.
 */
import path from 'node:path';
import { tokens } from '../interaction';
import type { LineParser, ParsedRecord, RootContext, SourceAdapter } from './types';
import { MalformedLine } from './types';
import { count, expandHome, parseObject, str, unpriced, utcIso } from './util';

const NOTHING: readonly ParsedRecord[] = [];

function parser(): LineParser {
  return {
    line(text, lineNo): readonly ParsedRecord[] {
      const o = parseObject(text);
      if (o.eventName !== undefined && o.eventName !== 'tokensGenerated') return NOTHING;
      const input = count(o, 'promptTokens', 'tokensGenerated');
      const output = count(o, 'generatedTokens', 'tokensGenerated');
      if (o.promptTokens === undefined && o.generatedTokens === undefined)
        throw new MalformedLine('tokensGenerated: no promptTokens or generatedTokens');
      if (input + output === 0) return NOTHING;
      const at = utcIso(o.timestamp, 'timestamp');
      const interaction = unpriced({
        id: `continue:${Date.parse(at)}:${lineNo}`,
        at,
        agent: 'continue',
        project: null,
        model: str(o.model) ?? 'unknown',
        tokens: tokens({ input, output }),
      });
      interaction.estimated = true;
      return [{ interaction }];
    },
  };
}

function globalDir(ctx: RootContext): string {
  const dir = str(ctx.env.CONTINUE_GLOBAL_DIR?.trim());
  return dir ? path.resolve(expandHome(dir, ctx.home)) : path.join(ctx.home, '.continue');
}

export const continueDev: SourceAdapter = {
  id: 'continue',
  agent: 'continue',
  label: 'Continue',
  settingsKey: 'continue',
  defaultRoots: (ctx) => [path.join(globalDir(ctx), 'dev_data')],
  rootsFromSetting: (p) => [path.basename(p) === 'dev_data' ? p : path.join(p, 'dev_data')],
  matches: (file) => /[\\/]tokensGenerated\.jsonl$/.test(file),
  readMode: () => 'lines',
  needles: ['"generatedTokens"', '"promptTokens"'],
  reportTornLines: true,
  createParser: () => parser(),
};
