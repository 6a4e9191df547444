/**
 * Golden-file comparison. The default run compares; `UPDATE_GOLDEN=1 node test/run.mjs report`
 * rewrites the files (review the diff before committing).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const GOLDEN_DIR = path.join(__dirname, 'golden');

export function assertGolden(name: string, actual: string): void {
  const file = path.join(GOLDEN_DIR, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    // CI compares, never rewrites: a golden rewritten on the machine that checks it proves nothing.
    assert.ok(!process.env.CI, 'UPDATE_GOLDEN=1 is refused when CI is set: rewrite goldens on a developer machine and review the diff');
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `golden file ${file} is missing; create it with UPDATE_GOLDEN=1`);
  const want = readFileSync(file, 'utf8');
  if (actual !== want) {
    const a = actual.split('\n'),
      w = want.split('\n');
    const i = a.findIndex((l, k) => l !== w[k]);
    assert.fail(
      `${name} differs from the golden file at line ${i + 1}:\n  golden: ${JSON.stringify(w[i])}\n  actual: ${JSON.stringify(a[i])}\n(rewrite with UPDATE_GOLDEN=1 if the change is intended)`,
    );
  }
}
