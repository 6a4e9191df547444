/**
 * Imports the agents' logs into the ledger: what `unmetered status` / `report` and the extension
 * run first, so a fresh machine shows its whole history on the first run. Later runs read only
 * what is new (offsets are kept in the data directory).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Ledger } from '../core/ledger';
import type { Logger } from '../core/ports';
import type { PriceTable } from '../core/pricing';
import { createImporter, normaliseSourceSettings, type ImportProgress, type ImportSummary } from '../core/sources';

export interface ImportAgentLogsOptions {
  dataDir: string;
  env: NodeJS.ProcessEnv;
  home: string;
  platform: NodeJS.Platform;
  ledger: Ledger;
  priceTable: PriceTable;
  logger: Logger;
  /** The raw `unmetered.sources` settings object (as mirrored into settings.json); bad values warn and fall back. */
  sources?: unknown;
  /** Extra VS Code globalStorage folders to search for Cline / Roo Code / Kilo Code. */
  globalStorageDirs?: string[];
  onProgress?: (p: ImportProgress) => void;
  /** See ImporterOptions.sourcesInSummary. */
  sourcesInSummary?: boolean;
}

export type { ImportSummary };

/** The import's worker thread, bundled beside this file (dist/); run from source, the import stays on one thread. */
const WORKER_SCRIPT = path.join(__dirname, 'sources-worker.js');

export async function importAgentLogs(opts: ImportAgentLogsOptions): Promise<ImportSummary> {
  const { settings, warnings } = normaliseSourceSettings(opts.sources);
  for (const w of warnings) opts.logger.warn(w);
  const importer = createImporter({
    dataDir: opts.dataDir,
    env: opts.env,
    home: opts.home,
    platform: opts.platform,
    globalStorageDirs: opts.globalStorageDirs,
    ledger: opts.ledger,
    priceTable: opts.priceTable,
    logger: opts.logger,
    settings,
    workerScript: existsSync(WORKER_SCRIPT) ? WORKER_SCRIPT : undefined,
    sourcesInSummary: opts.sourcesInSummary,
  });
  return importer.scan({ onProgress: opts.onProgress });
}
