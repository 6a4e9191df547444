/**
 * Modules a command's usual path never touches, required on first use instead of at start-up.
 * A re-run with nothing new hashes no file head, writes no file and picks no temp name, yet compiling
 * node:crypto took ~5 ms of it on 2 cores (our own files are now written by atomicFile.ts, which needs
 * neither it nor write-file-atomic). esbuild leaves `require` of a built-in as it is: it runs here, once.
 */
import type * as Crypto from 'node:crypto';
import type * as WorkerThreads from 'node:worker_threads';

let crypto: typeof Crypto | undefined;
let threads: typeof WorkerThreads | undefined;

/** node:crypto, loaded on the first call. */
export function nodeCrypto(): typeof Crypto {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (crypto ??= require('node:crypto') as typeof Crypto);
}

/** node:worker_threads, loaded when a first import starts its threads. */
export function workerThreads(): typeof WorkerThreads {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (threads ??= require('node:worker_threads') as typeof WorkerThreads);
}

/**
 * `bytes` random bytes in hex, for a temp file's name beside the writer's process id. Math.random: no
 * secret is at stake (the process id beside it keeps writers apart), and node:crypto stays unloaded.
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
