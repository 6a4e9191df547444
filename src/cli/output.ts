/**
 * Standard output and error as the commands write them: text written whole to the file descriptor,
 * synchronously, so a command that prints one line does not set up process.stdout's stream (Node's
 * stream and socket modules: ~4 ms of a ~100 ms status line on 2 cores).
 *
 * A reader that went away (`unmetered session --json | head`) ends the output quietly: the command
 * finishes as it would have, where the stream's EPIPE was an unhandled error with a stack trace. A
 * write the descriptor cannot take now (EAGAIN: a full pipe someone made non-blocking) or any other
 * failure hands this and every later write to the stream, which waits and reports as before. On
 * Windows the streams are used as they are (a console is written through its own API there).
 */
import { fstatSync, statSync, writeSync } from 'node:fs';
import type { Output } from './context';

export function fdOutput(fd: number, stream: () => NodeJS.WriteStream): Output {
  let fallback: NodeJS.WriteStream | null = null;
  let gone = false;
  return {
    write(text: string): boolean {
      if (gone) return true;
      if (fallback) return fallback.write(text);
      const buf = Buffer.from(text, 'utf8');
      let at = 0;
      try {
        while (at < buf.length) at += writeSync(fd, buf, at, buf.length - at);
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EPIPE') {
          gone = true;
          return true;
        }
        fallback = stream();
        // The reader going away is as quiet there as here.
        fallback.on('error', (err: NodeJS.ErrnoException) => {
          if (err.code !== 'EPIPE') throw err;
          gone = true;
        });
        return fallback.write(buf.subarray(at));
      }
    },
    get isTTY(): boolean {
      return terminal(fd);
    },
    get columns(): number | undefined {
      return terminal(fd) ? stream().columns : undefined;
    },
  };
}

/**
 * Whether `fd` is a terminal. A pipe or a file is not a character device, and neither is /dev/null a
 * terminal (a prompt's `$(unmetered status --json 2>/dev/null)`): both are told without node:tty, whose
 * loading loads the stream and socket modules this file avoids (~5 ms).
 */
function terminal(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    if (!st.isCharacterDevice()) return false;
    if (process.platform !== 'win32' && st.rdev === statSync('/dev/null', { throwIfNoEntry: false })?.rdev) return false;
  } catch {
    return false;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('node:tty') as typeof import('node:tty')).isatty(fd);
}
