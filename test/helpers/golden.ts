/**
 * Golden-file comparison, shared by every suite with goldens. The default run compares. `UPDATE_GOLDEN=1` rewrites
 * the files whose content changed and names each one on stderr (review the diff before committing); with CI set
 * it refuses: a golden rewritten on the machine that checks it proves nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function assertGoldenFile(file: string, actual: string): void {
  const shown = path.relative(process.cwd(), file);
  if (process.env.UPDATE_GOLDEN === '1') {
    if (process.env.CI)
      assert.fail(`UPDATE_GOLDEN=1 is refused when CI is set (${shown}): rewrite goldens on a developer machine and review the diff`);
    if (existsSync(file) && readFileSync(file, 'utf8') === actual) return;
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, actual);
    process.stderr.write(`UPDATE_GOLDEN: rewrote ${shown}\n`);
    return;
  }
  assert.ok(existsSync(file), `golden file ${shown} is missing; create it with UPDATE_GOLDEN=1`);
  const want = readFileSync(file, 'utf8');
  if (actual === want) return;
  const a = actual.split('\n');
  const w = want.split('\n');
  const i = a.findIndex((l, k) => l !== w[k]);
  const at = i < 0 ? w.length : i; // the golden has more lines
  assert.fail(
    `${shown} differs from the golden file at line ${at + 1}:\n  golden: ${JSON.stringify(w[at])}\n  actual: ${JSON.stringify(a[at])}\n` +
      '(rewrite with UPDATE_GOLDEN=1 if the change is intended)',
  );
}
