/** Agent logs → Interactions: adapters per agent, a tailer that reads only new bytes, and the importer. */
export { ADAPTERS, REGISTRY } from '../agents/registry';
export { claudeCode } from '../agents/claude-code';
export { codex } from '../agents/codex';
export { geminiCli } from '../agents/gemini-cli';
export { cline } from '../agents/cline';
export { rooCode } from '../agents/roo-code';
export { kiloCode } from '../agents/kilo-code';
export { qwenCode } from '../agents/qwen-code';
export { amp } from '../agents/amp';
export { continueDev } from '../agents/continue';
export { factoryDroid } from '../agents/factory-droid';
export { pi } from '../agents/pi';
export { opencode, kiloCli } from '../agents/opencode';
export { copilotCli } from '../agents/copilot-cli';
export { globalStorageDirs } from '../agents/vscode-tasks';
export {
  createImporter,
  Importer,
  type ImporterOptions,
  type ImportSummary,
  type ImportProgress,
  type ScanOptions,
  type SourceStatus,
  type RootStatus,
  type WatchOptions,
  type Disposable,
} from './importer';
export { importSession, type SessionOptions } from './session';
export {
  normaliseSourceSettings,
  defaultSourceSettings,
  DEFAULTS_TOKEN,
  SOURCE_KEYS,
  type SourceSettings,
  type SourceSetting,
} from '../agents/source-settings';
export { readFileUpdate, type FileState, type FileUpdate } from './tailer';
export { loadSourceState, saveSourceState, STATE_FILE } from './state';
export { LineSplitter } from './lines';
export {
  MalformedLine,
  type SourceAdapter,
  type SourceId,
  type LineParser,
  type ParsedRecord,
  type RootContext,
  type ReadMode,
} from '../agents/types';
export { describeSource, summariseSources, tildify } from './describe';
