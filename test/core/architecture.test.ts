import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const importsVscode = /(?:from\s+['"]vscode['"]|require\(\s*['"]vscode['"]\s*\)|import\(\s*['"]vscode['"]\s*\))/;

test('nothing under src/core imports vscode', () => {
  const offenders = tsFiles('src/core').filter((f) => importsVscode.test(readFileSync(f, 'utf8')));
  assert.deepEqual(offenders, []);
});

test('nothing under src/core imports from the extension or the CLI layer', () => {
  const offenders = tsFiles('src/core').filter((f) => /from\s+['"][./]*(?:\.\.\/)+(extension|cli)\//.test(readFileSync(f, 'utf8')));
  assert.deepEqual(offenders, []);
});

test('the architecture check really detects a vscode import', () => {
  assert.ok(importsVscode.test(`import * as vscode from 'vscode';`));
  assert.ok(importsVscode.test(`const v = require('vscode')`));
  assert.ok(!importsVscode.test(`import { x } from './vscode-free';`));
});
