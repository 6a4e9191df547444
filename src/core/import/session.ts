/**
 * The agent-log session as both hosts run it (the extension and the CLI): the `unmetered.sources`
 * settings normalised (bad values warn and fall back), and worker threads for a big first import when
 * the worker bundle sits beside the running bundle.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../ports';
import type { Recorder } from '../record/recorder';
import { createImporter, type Importer, type ImporterOptions } from './importer';
import { normaliseSourceSettings, type SourceSettings } from '../agents/sourceSettings';
import type { RootContext } from '../agents/types';

/**
 * The import's worker thread. The extension and the CLI are each bundled into dist/ with this file, beside
 * dist/sources-worker.js; run from source there is no worker bundle, and the import stays on one thread.
 */
const WORKER_SCRIPT = path.join(__dirname, 'sources-worker.js');

export interface SessionOptions extends RootContext {
  dataDir: string;
  recorder: Recorder;
  logger: Logger;
  /** The raw `unmetered.sources` settings object (the extension's, or as mirrored for the CLI). */
  sources?: unknown;
  /** The sources settings already normalised (the extension's settings module); wins over `sources`. */
  settings?: SourceSettings;
  /** See ImporterOptions.sourcesInSummary. */
  sourcesInSummary?: boolean;
  /** See ImporterOptions.logCounts. */
  logCounts?: ImporterOptions['logCounts'];
  /** See ImporterOptions.watch. */
  watch?: ImporterOptions['watch'];
  /** See ImporterOptions.told. */
  told?: ImporterOptions['told'];
}

export function importSession(opts: SessionOptions): Importer {
  const { sources, settings: given, ...rest } = opts;
  let settings = given;
  if (!settings) {
    const n = normaliseSourceSettings(sources);
    for (const w of n.warnings) opts.logger.warn(w);
    settings = n.settings;
  }
  return createImporter({ ...rest, settings, workerScript: existsSync(WORKER_SCRIPT) ? WORKER_SCRIPT : undefined });
}
