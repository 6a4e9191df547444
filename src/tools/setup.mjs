#!/usr/bin/env node
// `npm run setup`: from a fresh clone to a working meter. Installs dependencies when needed, builds
// and packages the extension, installs the .vsix into every VS Code found on PATH, and shows the
// meter for this machine's agent logs from the CLI. Uses only Node built-ins, so it runs before
// `npm ci` has.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { needsInstall } from './deps.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cmd, args, opts = {}) {
  console.error(`\n> ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.error || r.status !== 0) {
    console.error(`setup: \`${cmd} ${args.join(' ')}\` failed${r.error ? `: ${r.error.message}` : ` with exit code ${r.status}`}`);
    process.exit(1);
  }
}

function found(cmd) {
  const r = spawnSync(process.platform === 'win32' ? 'where' : 'which', [cmd], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split('\n')[0] : null;
}

if (needsInstall(root)) run(npm, ['ci']);

run(npm, ['run', 'package']);
const vsix = path.join(root, 'dist', 'unmetered.vsix');

const editors = ['code', 'code-insiders', 'codium', 'cursor', 'code-server'].filter(found);
if (editors.length === 0) {
  console.error('\nsetup: no VS Code found on PATH (code, code-insiders, codium, cursor, code-server).');
  console.error(`       Install the extension by hand: Extensions view → … → Install from VSIX… → ${vsix}`);
}
for (const editor of editors) run(editor, ['--install-extension', vsix, '--force']);

console.error("\n> unmetered status  (reads this machine's agent logs into the ledger, then shows the meter)\n");
run(process.execPath, [path.join(root, 'dist', 'cli.js'), 'status']);
console.error('\nTo run `unmetered` from any terminal, put it on your PATH once with `npm link`.');
