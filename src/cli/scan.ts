/**
 * Imports the agents' logs into the ledger: what `unmetered status` / `report` and the extension
 * run first, so a fresh machine shows its whole history on the first run. Later runs read only
 * what is new (offsets are kept in the data directory).
 */
import { importSession, type ImportSummary, type SessionOptions } from '../core/import';

export type ImportAgentLogsOptions = SessionOptions;
export type { ImportSummary };

export async function importAgentLogs(opts: ImportAgentLogsOptions): Promise<ImportSummary> {
  return importSession(opts).scan();
}
