/**
 * The gateway's proof of identity. A random secret lives in the data directory, readable by its owner
 * only (0600); every Unmetered process of that user shares it, nothing else can read it. Before trusting
 * whatever listens on the gateway port (and sending it the agents' requests and keys), a process asks it
 * for an HMAC of a fresh nonce: an impostor that copies the health JSON cannot answer, nor can a gateway
 * of another user or data directory (which would record into another ledger).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { UnmeteredError, errorMessage } from '../errors';
import { ensurePrivateDir } from '../privateFs';

export const SECRET_FILE = 'gateway.secret';
const SECRET_HEX = /^[0-9a-f]{64}$/;

/** The data directory's gateway secret, created (0600) when missing, replaced when others could read it. */
export async function loadGatewaySecret(dataDir: string): Promise<Buffer> {
  const file = path.join(dataDir, SECRET_FILE);
  await ensurePrivateDir(dataDir, { tightenExisting: false });
  const existing = await readIfPrivate(file);
  if (existing) return existing;
  const secret = randomBytes(32);
  // Written under a temporary name created 0600 and renamed (write-file-atomic): no moment where the file
  // exists with other modes, and two processes racing both end with one of the two secrets on disk, which
  // they then read back. A link in its place is replaced, not written through (its target is not ours to change).
  try {
    if ((await fsp.lstat(file).catch(() => null))?.isSymbolicLink()) await fsp.unlink(file);
    await writeFileAtomic(file, secret.toString('hex') + '\n', { mode: 0o600 });
  } catch (e) {
    throw new UnmeteredError('E_GATEWAY_SECRET', `cannot write the gateway secret ${file}: ${errorMessage(e)}`, { cause: e });
  }
  const back = await readIfPrivate(file);
  if (!back) throw new UnmeteredError('E_GATEWAY_SECRET', `the gateway secret ${file} is not a private regular file after writing it`);
  return back;
}

/** The secret, or null when the file is missing, not a regular file, not ours, readable by others or malformed. */
async function readIfPrivate(file: string): Promise<Buffer | null> {
  const st = await fsp.lstat(file).catch(() => null);
  if (!st || !st.isFile() || st.size > 1024) return null;
  if (process.platform !== 'win32') {
    if ((st.mode & 0o077) !== 0) return null;
    if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return null;
  }
  const text = (await fsp.readFile(file, 'utf8').catch(() => '')).trim();
  return SECRET_HEX.test(text) ? Buffer.from(text, 'hex') : null;
}

/** What the health endpoint answers for `nonce`. */
export function healthProof(secret: Buffer, nonce: string): string {
  return createHmac('sha256', secret).update(`unmetered-gateway-health\n${nonce}`).digest('hex');
}

export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

export function proofMatches(secret: Buffer, nonce: string, proof: unknown): boolean {
  if (typeof proof !== 'string' || !/^[0-9a-f]{64}$/.test(proof)) return false;
  return timingSafeEqual(Buffer.from(healthProof(secret, nonce), 'hex'), Buffer.from(proof, 'hex'));
}
