#!/usr/bin/env node
// Renders the settings and commands that package.json contributes into README.md, between the
// <!-- settings:start/end --> and <!-- commands:start/end --> markers, so the docs cannot drift from
// the manifest. `npm run docs` rewrites README.md; test/docs.test.ts fails when it is out of date.
import { readFileSync, writeFileSync } from 'node:fs';

export function renderSettings(pkg) {
  const props = Object.entries(pkg.contributes.configuration.properties);
  const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n+/g, ' ');
  const rows = props.map(([key, p]) => {
    const def = p.default === undefined ? '' : `\`${JSON.stringify(p.default)}\``;
    const values = p.enum ? ` One of: ${p.enum.map((e) => `\`${e}\``).join(', ')}.` : '';
    return `| \`${key}\` | ${cell(def)} | ${cell((p.markdownDescription ?? p.description ?? '').replace(/`#([\w.]+)#`/g, '`$1`') + values)} |`;
  });
  return ['| setting | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

export function renderCommands(pkg) {
  const rows = pkg.contributes.commands
    .filter((c) => !(pkg.contributes.menus?.commandPalette ?? []).some((m) => m.command === c.command && m.when === 'false'))
    .map((c) => `| ${c.category ? `${c.category}: ` : ''}${c.title} | \`${c.command}\` |`);
  return ['| command | id |', '|---|---|', ...rows].join('\n');
}

export function renderReadme(readme, pkg) {
  const put = (text, name, body) => {
    const re = new RegExp(`(<!-- ${name}:start -->\\n)[\\s\\S]*?(<!-- ${name}:end -->)`);
    if (!re.test(text)) throw new Error(`README.md has no <!-- ${name}:start --> … <!-- ${name}:end --> markers`);
    return text.replace(re, (_, a, b) => `${a}${body}\n${b}`);
  };
  return put(put(readme, 'settings', renderSettings(pkg)), 'commands', renderCommands(pkg));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  const before = readFileSync('README.md', 'utf8');
  const after = renderReadme(before, pkg);
  if (after !== before) writeFileSync('README.md', after);
  console.error(
    after === before ? 'README.md settings and commands are up to date' : 'README.md settings and commands rewritten from package.json',
  );
}
