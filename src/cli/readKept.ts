/** Reading back what a run kept in the data directory's cache (answers.ts, turn.ts). */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';

/**
 * A kept file's text. Opened without waiting (a FIFO put in its place must not hang the command), and read only when
 * what was opened is a regular file of at most `max` bytes; throws otherwise.
 */
export function readKept(file: string, max: number): string {
  const fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > max) throw new Error(`${file}: not a file of at most ${max} bytes`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
