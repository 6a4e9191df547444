// Types of stamp.mjs, for the tests that import it.
export function unchanged(file: string, meta: unknown): boolean;
export function dropStamp(file: string): void;
export function keepStamp(file: string, meta: unknown, files: string[], startedMs: number, wrote?: string[]): boolean;
