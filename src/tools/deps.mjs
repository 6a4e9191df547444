// Whether `npm ci` must run first: no node_modules yet, or installed from an older package-lock.json.
// Shared by the README's two commands (npm run setup, npm run test:all), so both work on a fresh clone.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

export function needsInstall(root) {
  const installed = path.join(root, 'node_modules', '.package-lock.json');
  return !existsSync(installed) || statSync(installed).mtimeMs < statSync(path.join(root, 'package-lock.json')).mtimeMs;
}
