/**
 * Every agent Unmetered reads, by id. Adding one = one adapter file + one line here + its fixture (and its two
 * settings in package.json, which test/package.test.ts checks against this table). The id type, the settings keys
 * and their defaults all derive from this table.
 */
import { claudeCode } from './claudeCode';
import { cline } from './cline';
import { codex } from './codex';
import { copilotCli } from './copilotCli';
import { geminiCli } from './geminiCli';
import { kiloCode } from './kiloCode';
import { kimiCli } from './kimiCli';
import { kiloCli, opencode } from './opencode';
import { qwenCode } from './qwenCode';
import { amp } from './amp';
import { continueDev } from './continue';
import { factoryDroid } from './factoryDroid';
import { pi } from './pi';
import { rooCode } from './rooCode';
import type { SourceAdapter } from './types';

export const REGISTRY = {
  'claude-code': claudeCode,
  codex,
  'gemini-cli': geminiCli,
  cline,
  'roo-code': rooCode,
  'kilo-code': kiloCode,
  'qwen-code': qwenCode,
  amp,
  continue: continueDev,
  'factory-droid': factoryDroid,
  pi,
  opencode,
  'kilo-cli': kiloCli,
  'copilot-cli': copilotCli,
  'kimi-cli': kimiCli,
} as const satisfies Record<string, SourceAdapter>;

export type SourceId = keyof typeof REGISTRY;

export const ADAPTERS: readonly SourceAdapter[] = Object.values(REGISTRY);

/** Each agent's settings key under `unmetered.sources.` (camelCase), by id. */
export const SOURCE_KEYS: Readonly<Record<SourceId, string>> = Object.fromEntries(
  Object.entries(REGISTRY).map(([id, a]) => [id, a.settingsKey]),
) as Record<SourceId, string>;
