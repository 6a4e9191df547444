/**
 * Imports the agents' logs into the ledger: what `unmetered status` / `report` and the extension
 * run first, so a fresh machine shows its whole history on the first run. Later runs read only
 * what is new (offsets are kept in the data directory).
 */
import { importSession, type ImportProgress, type ImportSummary, type SessionOptions } from '../core/import';

export interface ImportAgentLogsOptions extends SessionOptions {
  onProgress?: (p: ImportProgress) => void;
}
export type { ImportSummary };

export async function importAgentLogs(opts: ImportAgentLogsOptions): Promise<ImportSummary> {
  const { onProgress, ...session } = opts;
  return importSession(session).scan({ onProgress });
}
