import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The shipped bundles. test/run.mjs builds them once before any suite starts, so suites running in
 * parallel never rebuild dist/ under one another.
 */
export function builtFile(
  name: 'cli.js' | 'cli-status.js' | 'cli-views.js' | 'extension.js' | 'dashboard.js' | 'sources-worker.js' | 'otlp-export.js',
): string {
  const file = path.resolve('dist', name);
  if (!existsSync(file))
    throw new Error(`${file} is missing: run the suites through test/run.mjs (it builds first), or \`node esbuild.mjs\``);
  return file;
}
