/** Agent logs → Interactions: adapters per agent, a tailer that reads only new bytes, and the importer. */
export { ADAPTERS, REGISTRY } from '../agents/registry';
export { claudeCode } from '../agents/claudeCode';
export { codex } from '../agents/codex';
export { geminiCli } from '../agents/geminiCli';
export { cline } from '../agents/cline';
export { rooCode } from '../agents/rooCode';
export { kiloCode } from '../agents/kiloCode';
export { qwenCode } from '../agents/qwenCode';
export { amp } from '../agents/amp';
export { continueDev } from '../agents/continue';
export { factoryDroid } from '../agents/factoryDroid';
export { pi } from '../agents/pi';
export { opencode, kiloCli } from '../agents/opencode';
export { copilotCli } from '../agents/copilotCli';
export { globalStorageDirs } from '../agents/vscodeTasks';
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
  type Watching,
} from './importer';
export { importSession, type SessionOptions } from './session';
export {
  normaliseSourceSettings,
  defaultSourceSettings,
  DEFAULTS_TOKEN,
  SOURCE_KEYS,
  type SourceSettings,
  type SourceSetting,
} from '../agents/sourceSettings';
export { readFileUpdate, type FileState, type FileUpdate } from './tailer';
export { JOURNAL_FILE, loadSourceState, saveSourceState, STATE_FILE } from './state';
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
