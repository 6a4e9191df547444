/**
 * Modules a command's usual path never touches, required on first use instead of at start-up.
 * A re-run with nothing new hashes no file head, writes no file and picks no temp name, yet compiling
 * node:crypto and write-file-atomic (with the signal-exit it loads, which sets up a handler object per
 * signal) took ~15 ms of its ~0.35 s on 2 cores. esbuild leaves `require` of a built-in as it is, and
 * turns one of a bundled package into a call of that package's module function: both run here, once.
 */
import type * as Crypto from 'node:crypto';
import type * as WorkerThreads from 'node:worker_threads';
import type WriteFileAtomic from 'write-file-atomic';

let crypto: typeof Crypto | undefined;
let atomic: typeof WriteFileAtomic | undefined;
let threads: typeof WorkerThreads | undefined;

/** node:crypto, loaded on the first call. */
export function nodeCrypto(): typeof Crypto {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (crypto ??= require('node:crypto') as typeof Crypto);
}

/** write-file-atomic (temp file, fsync, rename), loaded on the first call. */
export function writeFileAtomic(): typeof WriteFileAtomic {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (atomic ??= require('write-file-atomic') as typeof WriteFileAtomic);
}

/** node:worker_threads, loaded when a first import starts its threads. */
export function workerThreads(): typeof WorkerThreads {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (threads ??= require('node:worker_threads') as typeof WorkerThreads);
}

/**
 * `bytes` random bytes in hex, for a temp file's name beside the writer's process id. Math.random: no
 * secret is at stake (write-file-atomic names its own from a counter), and node:crypto stays unloaded.
 */
export function randomHex(bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++)
    s += Math.floor(Math.random() * 256)
      .toString(16)
      .padStart(2, '0');
  return s;
}

/** The hex sha1 of a string or bytes. */
export function sha1Hex(data: string | Uint8Array): string {
  return nodeCrypto().createHash('sha1').update(data).digest('hex');
}
