import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
// @ts-expect-error a plain .mjs tool without type declarations
import { renderReadme } from '../src/tools/settingsDoc.mjs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const readme = readFileSync('README.md', 'utf8');

test('README documents every setting and command the manifest contributes (run `npm run docs` to refresh)', () => {
  assert.equal(readme, renderReadme(readme, pkg));
  for (const key of Object.keys(pkg.contributes.configuration.properties)) assert.ok(readme.includes(`\`${key}\``), key);
});

test('every command in the manifest has a title and the Unmetered category', () => {
  for (const c of pkg.contributes.commands) {
    assert.match(c.command, /^unmetered\./);
    assert.equal(c.category, 'Unmetered', c.command);
    assert.ok(c.title.length > 3, c.command);
  }
});
