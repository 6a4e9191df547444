/**
 * The report suites' goldens (test/report/golden); `UPDATE_GOLDEN=1 node test/run.mjs report` rewrites them (see
 * test/helpers/golden.ts).
 */
import path from 'node:path';
import { assertGoldenFile } from '../helpers/golden';

export const GOLDEN_DIR = path.join(__dirname, 'golden');

export function assertGolden(name: string, actual: string): void {
  assertGoldenFile(path.join(GOLDEN_DIR, name), actual);
}
