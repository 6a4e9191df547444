/** What every CLI command receives: its arguments and the process's ports, so tests can pin them. */
import type { Readable } from 'node:stream';
import type { Clock, Logger } from '../core/ports';
import type { AnswerPorts, AnswerRecorder } from './answers';

/** Where a command writes: process.stdout or stderr, fd 1 or 2 (output.ts), or a test's stream. */
export interface Output {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  /** The terminal's width, when it is one. */
  readonly columns?: number;
}

export interface CliContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  home: string;
  platform: NodeJS.Platform;
  stdout: Output;
  stderr: Output;
  /** Only `statusline` reads it (Claude Code's JSON); absent in most tests. */
  stdin?: Readable & { isTTY?: boolean };
  clock: Clock;
  logger: Logger;
  /** The data directory (UNMETERED_HOME or the platform's). */
  dataDir: string;
  /**
   * Told when the run reads the agents' logs on this thread: code that the command chunk's cache may lack
   * (codeCache.ts). Absent where no cache is kept (tests that run main() in their own process).
   */
  codePath?: (path: CodePath) => void;
  /** Where views' answers may be kept for the next run (answers.ts): only in a process of its own (main.ts). */
  answers?: AnswerPorts;
  /** While a view runs whose answer may be kept: what watches it (answers.ts). */
  answer?: AnswerRecorder;
}

/** What a run did that runs code a command chunk's cache written by another run may lack (codeCache.ts). */
export type CodePath = 'read';

/**
 * Exit codes: 0 success; 1 a failure while running (e.g. unreadable ledger); 2 bad arguments;
 * 3 `status --check` found a budget at or over its threshold.
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, overBudget: 3 } as const;

/** A usage error: printed as one line naming the argument and what was expected, exit 2. */
export class UsageError extends Error {
  /** Checked instead of instanceof: the command chunk and the start-up chunk each bundle this class. */
  readonly isUsageError = true;
}

export const isUsageError = (err: unknown): boolean => (err as { isUsageError?: unknown } | null)?.isUsageError === true;
