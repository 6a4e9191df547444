/** Agent logs → Interactions: adapters per agent, a tailer that reads only new bytes, and the importer. */
export { ADAPTERS, REGISTRY } from './registry';
export { claudeCode } from './claudeCode';
export { codex } from './codex';
export { geminiCli } from './geminiCli';
export { cline } from './cline';
export { rooCode } from './rooCode';
export { kiloCode } from './kiloCode';
export { qwenCode } from './qwenCode';
export { amp } from './amp';
export { continueDev } from './continueDev';
export { factoryDroid } from './factoryDroid';
export { pi } from './pi';
export { opencode, kiloCli } from './opencode';
export { copilotCli } from './copilotCli';
export { globalStorageDirs } from './vscodeTasks';
export {
  createImporter,
  Importer,
  type ImporterOptions,
  type ImportSummary,
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
} from './settings';
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
} from './types';
export { describeSource, summariseSources, tildify } from './present';
