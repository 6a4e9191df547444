/**
 * Where each log file was read up to, kept in the data directory so a restart reads only what is
 * new. Written atomically (write-file-atomic: temp file, fsync, rename). Several processes may each keep one: the last
 * writer wins, and an offset that is a little behind only means re-reading lines whose ids the
 * ledger already holds.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../ports';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../privateFs';
import type { FileState } from './tailer';
import { errorMessage } from '../errors';
import { writeFileAtomic } from '../lazy';

export const STATE_FILE = 'sources-state.json';
const VERSION = 1;

export async function loadSourceState(dataDir: string, logger: Logger): Promise<Map<string, FileState>> {
  const file = path.join(dataDir, STATE_FILE);
  let text: string;
  try {
    // Sync: a megabyte or two, read once per start; a thread-pool round trip per 512 kB chunk cost more.
    text = readFileSync(file, 'utf8');
  } catch {
    return new Map();
  }
  try {
    const v = JSON.parse(text) as { version?: unknown; files?: Record<string, FileState> };
    if (v.version !== VERSION || typeof v.files !== 'object' || v.files === null)
      throw new Error(`expected {"version":${VERSION},"files":{…}}`);
    return new Map(Object.entries(v.files));
  } catch (err) {
    // Losing offsets costs one full re-read, never a double count (ids + ledger idempotency).
    logger.warn(`${file}: ${errorMessage(err)}; reading every agent log again from the start`);
    return new Map();
  }
}

export async function saveSourceState(dataDir: string, files: Map<string, FileState>): Promise<void> {
  await ensurePrivateDir(dataDir, { tightenExisting: false });
  const file = path.join(dataDir, STATE_FILE);
  // Paths of agent logs name people's projects: readable by the owner only, as the ledger is.
  await writeFileAtomic()(file, JSON.stringify({ version: VERSION, files: Object.fromEntries(files) }), { mode: PRIVATE_FILE_MODE });
}
