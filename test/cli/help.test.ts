/**
 * Help is generated from the option tables: every command and option is listed with its meaning,
 * default and an example; every example is accepted by the parser; every missing value gets a
 * friendly message; the README's CLI section names every command and every view option.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { main } from '../../src/cli/main';
import { commandHelp, parseCommand } from '../../src/cli/options';
import { ALL_SPECS, VIEW_SPECS } from '../../src/cli/specs';
import { fixedClock, memoryLogger } from '../../src/core/ports';

class Sink extends Writable {
  text = '';
  override _write(c: Buffer, _e: string, cb: () => void) {
    this.text += c.toString();
    cb();
  }
}

async function run(args: string[]) {
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await main(args, {
    env: {},
    cwd: '/',
    home: '/nonexistent',
    platform: 'linux',
    stdout,
    stderr,
    clock: fixedClock('2026-11-23T12:00:00Z'),
    logger: memoryLogger(),
    dataDir: '/nonexistent/unmetered',
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('help and argument errors', { timeout: 30_000 }, () => {
  it('unmetered --help lists every command; each command --help lists every option with meaning, default and example', async () => {
    const top = await run(['--help']);
    assert.equal(top.code, 0);
    for (const s of ALL_SPECS) {
      assert.ok(
        top.stdout.split('\n').some((l) => l.startsWith(`  ${s.name} `) && l.endsWith(s.summary)),
        s.name,
      );
      const h = await run([s.name, '--help']);
      assert.equal(h.code, 0, s.name);
      assert.equal(h.stdout, commandHelp(s));
      for (const o of s.options) {
        const start = `  ${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.value ? ` ${o.value}` : ''} `;
        const row = h.stdout.split('\n').find((l) => l.startsWith(start));
        assert.ok(row, `${s.name} --${o.name} has a row`);
        assert.ok(row.includes(o.meaning) && row.includes(o.example) && row.includes(o.default ?? '-'), `${s.name} --${o.name}: ${row}`);
      }
    }
  });

  it("every option's example is accepted by its command's parser", () => {
    for (const s of ALL_SPECS) {
      for (const o of s.options) {
        const [flag, ...rest] = o.example.split(' ');
        const { values } = parseCommand(s, [flag, ...(rest.length ? [rest.join(' ')] : [])]);
        assert.notEqual(values[o.name], undefined, `${s.name} ${o.example}`);
      }
    }
  });

  it('a missing value, or an option where a value belongs, is named with an example, never "ambiguous"', async () => {
    for (const s of VIEW_SPECS) {
      for (const o of s.options.filter((x) => x.value)) {
        for (const args of [[`--${o.name}`], [`--${o.name}`, '--json']]) {
          const r = await run([s.name, ...args]);
          assert.equal(r.code, 2, `${s.name} ${args.join(' ')}`);
          assert.match(r.stderr, new RegExp(`^unmetered ${s.name}: --${o.name} needs a value \\(`));
          assert.ok(r.stderr.includes(`e.g. ${o.example}`), r.stderr);
          assert.doesNotMatch(r.stderr, /ambiguous/);
        }
      }
    }
    // export and team keep their own parser: the same plain words.
    const e = await run(['team', 'x', '--week', '--format', 'md']);
    assert.match(e.stderr, /^unmetered team: --week needs a value, got another option/);
  });

  it('the README names every command, and every option of the views', () => {
    const readme = readFileSync('README.md', 'utf8');
    const cli = readme.slice(readme.indexOf('## The CLI'), readme.indexOf('## Weekly summaries'));
    for (const s of ALL_SPECS) assert.match(cli, new RegExp(`\\b${s.name}\\b`), `README's CLI section names ${s.name}`);
    for (const s of VIEW_SPECS)
      for (const o of s.options) assert.ok(cli.includes(`--${o.name}`), `README's CLI section documents ${s.name} --${o.name}`);
    assert.ok(cli.includes('"statusLine": { "type": "command", "command": "unmetered statusline" }'));
  });
});
