/**
 * Project names in exports can be replaced by pseudonyms that stay the same week after week (so a
 * lead can follow "project-3f9a1c2b" over time) but cannot be turned back into names: an HMAC-SHA256
 * of the name under a secret salt that never leaves this installation's data directory. Without the
 * salt, even guessing likely names ("webshop", "api") and hashing them does not find a match.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { ensurePrivateDir } from '../../privateFs';
import path from 'node:path';
import { UnmeteredError } from '../../errors';

export const SALT_FILE = 'export-salt';

export function pseudonym(name: string, salt: Buffer): string {
  return `project-${createHmac('sha256', salt).update(name, 'utf8').digest('hex').slice(0, 8)}`;
}

/** A pseudonymiser bound to a salt, for buildWeeklySummary. */
export function pseudonymiser(salt: Buffer): (name: string) => string {
  const seen = new Map<string, string>();
  return (name) => {
    let p = seen.get(name);
    if (p === undefined) seen.set(name, (p = pseudonym(name, salt)));
    return p;
  };
}

function parseSalt(text: string, file: string): Buffer {
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new UnmeteredError(
      'E_SALT',
      `${file}: expected 64 hexadecimal characters (the secret that keeps project pseudonyms` +
        ` stable), got ${hex.length} characters; delete the file to create a new one (pseudonyms will change)`,
    );
  }
  return Buffer.from(hex, 'hex');
}

/**
 * Reads the installation's salt from the data directory, creating it on first use. Creation is
 * atomic (a complete temp file hard-linked into place), so two windows starting at once agree on
 * one salt and nobody reads a half-written one.
 */
export async function loadOrCreateSalt(dataDir: string): Promise<Buffer> {
  const file = path.join(dataDir, SALT_FILE);
  try {
    return parseSalt(await readFile(file, 'utf8'), file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await ensurePrivateDir(dataDir, { tightenExisting: false });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
  try {
    await link(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(tmp).catch(() => {});
  }
  return parseSalt(await readFile(file, 'utf8'), file);
}
