import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Interaction } from '../../src/core/interaction';
import { Recorder } from '../../src/core/record/recorder';
import { describeSource, normaliseSourceSettings } from '../../src/core/import';
import { importAgentLogs } from '../../src/cli/scan';
import { claudeLine, FIXTURES, world } from './helpers';

const line = claudeLine;

describe('importer: settings, paths in use, live updates', { timeout: 60_000 }, () => {
  it('turns a source off, and points one elsewhere (with ~ and <defaults>)', async () => {
    const w = await world({ CLAUDE_CONFIG_DIR: path.join(FIXTURES, 'claude') });
    try {
      const off = normaliseSourceSettings({ claudeCode: { enabled: false } }).settings;
      const s = await w.importer({ settings: off }).scan();
      assert.equal(s.written, 0);
      assert.equal(s.sources.find((x) => x.id === 'claude-code')!.enabled, false);

      // A Codex folder in the home directory, configured with ~, besides the defaults.
      mkdirSync(path.join(w.home, 'work-codex'), { recursive: true });
      const elsewhere = normaliseSourceSettings({
        claudeCode: { enabled: false },
        codex: { paths: ['~/work-codex', '<defaults>'] },
      }).settings;
      const imp = w.importer({ settings: elsewhere });
      assert.deepEqual(imp.rootsOf(imp.enabled().find((a) => a.id === 'codex')!), [
        path.join(w.home, '.codex/sessions'),
        path.join(w.home, '.codex/archived_sessions'),
        path.join(w.home, 'work-codex/sessions'),
        path.join(w.home, 'work-codex/archived_sessions'),
      ]);
      const cc = normaliseSourceSettings({ codex: { paths: [path.join(FIXTURES, 'codex')] } }).settings;
      const got = await w.importer({ settings: { ...cc, 'claude-code': { enabled: false, paths: [] } } }).scan();
      assert.equal(got.written, 8);
      const status = got.sources.find((x) => x.id === 'codex')!;
      assert.deepEqual(status.roots, [
        { path: path.join(FIXTURES, 'codex/sessions'), exists: true },
        { path: path.join(FIXTURES, 'codex/archived_sessions'), exists: true },
      ]);
      assert.equal(
        describeSource(status, w.home),
        `Codex: 4 files, 8 interactions, 1 malformed line skipped (` +
          `${path.join(FIXTURES, 'codex/sessions')}, ${path.join(FIXTURES, 'codex/archived_sessions')})`,
      );
    } finally {
      await w.cleanup();
    }
  });

  it('importAgentLogs (CLI and extension) imports the full history on a first run and warns about bad settings', async () => {
    const w = await world();
    try {
      const s = await importAgentLogs({
        dataDir: w.dataDir,
        env: { CLAUDE_CONFIG_DIR: path.join(FIXTURES, 'claude'), CODEX_HOME: path.join(FIXTURES, 'codex') },
        home: w.home,
        platform: 'linux',
        recorder: new Recorder({ ledger: w.ledger, prices: () => w.prices }),
        logger: w.logger,
        sources: { geminiCli: { enabled: 'yes' } },
      });
      assert.equal(s.written, 7 + 8);
      assert.ok(w.logger.lines.some((l) => l.includes('unmetered.sources.geminiCli.enabled: expected true or false, got "yes"')));
      assert.equal(
        describeSource(
          s.sources.find((x) => x.id === 'gemini-cli')!,
          w.home,
        ),
        'Gemini CLI: no logs found (looked in ~/.gemini/tmp)',
      );
      const cline = s.sources.find((x) => x.id === 'cline')!;
      assert.ok(cline.roots.length > 2);
      assert.match(
        describeSource(cline, w.home),
        new RegExp(`^Cline: no logs found \\(looked in \\S+ and ${cline.roots.length - 1} other places\\)$`),
      );
    } finally {
      await w.cleanup();
    }
  });

  it('live: an appended assistant line and a new session file reach the ledger within a second', async () => {
    const w = await world();
    w.env = { CLAUDE_CONFIG_DIR: path.join(w.dir, 'claude') };
    const dir = path.join(w.dir, 'claude/projects/p');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 's.jsonl');
    writeFileSync(file, line('m1') + '\n');
    const imp = w.importer();
    await imp.scan();
    const seen: Interaction[] = [];
    let wake: () => void = () => {};
    const handle = imp.watch({ onImported: (r) => (seen.push(...r), wake()) });
    const waitFor = (id: string) =>
      new Promise<number>((resolve, reject) => {
        const t0 = Date.now();
        const timer = setTimeout(() => reject(new Error(`${id} not imported within 1 s`)), 1000);
        wake = () => {
          if (seen.some((r) => r.id === id)) {
            clearTimeout(timer);
            resolve(Date.now() - t0);
          }
        };
      });
    try {
      const a = waitFor('anthropic:m2');
      appendFileSync(file, line('m2') + '\n');
      await a;
      const b = waitFor('anthropic:m3');
      mkdirSync(path.join(w.dir, 'claude/projects/q/s2/subagents'), { recursive: true });
      writeFileSync(path.join(w.dir, 'claude/projects/q/s2/subagents/agent-1.jsonl'), line('m3') + '\n');
      await b;
      assert.ok(w.ledger.has('anthropic:m2') && w.ledger.has('anthropic:m3'));
      assert.equal(seen.find((r) => r.id === 'anthropic:m2')!.costNanos, 69_000); // 3 × $3/M + 4 × $15/M
      // Once dispose() settles, the offsets of what was read live are saved: a new session reads nothing again.
      await handle.dispose();
      const again = await w.importer().scan();
      assert.deepEqual([again.filesRead, again.written], [0, 0]);
    } finally {
      await handle.dispose();
      await w.cleanup();
    }
  });

  it('live without file events: polling picks up new lines', async () => {
    const w = await world();
    w.env = { CLAUDE_CONFIG_DIR: path.join(w.dir, 'claude') };
    // The root does not exist when watching starts, so no watcher can be set on it: polling must find it.
    const imp = w.importer();
    await imp.scan();
    let wake: () => void = () => {};
    const done = new Promise<void>((r) => (wake = r));
    const handle = imp.watch({ pollMs: 100, onImported: () => wake() });
    try {
      mkdirSync(path.join(w.dir, 'claude/projects/p'), { recursive: true });
      writeFileSync(path.join(w.dir, 'claude/projects/p/s.jsonl'), line('late') + '\n');
      await Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error('polling found nothing in 2 s')), 2000))]);
      assert.ok(w.ledger.has('anthropic:late'));
    } finally {
      await handle.dispose();
      await w.cleanup();
    }
  });
});

describe('normaliseSourceSettings', { timeout: 60_000 }, () => {
  it('defaults every source on with the default locations', () => {
    const { settings, warnings } = normaliseSourceSettings(undefined);
    assert.deepEqual(warnings, []);
    assert.deepEqual(settings['claude-code'], { enabled: true, paths: [] });
    assert.deepEqual(Object.keys(settings).sort(), [
      'amp',
      'claude-code',
      'cline',
      'codex',
      'continue',
      'copilot-cli',
      'factory-droid',
      'gemini-cli',
      'kilo-cli',
      'kilo-code',
      'kimi-cli',
      'opencode',
      'pi',
      'qwen-code',
      'roo-code',
    ]);
  });

  it('falls back with a warning naming the setting, what was expected and what arrived', () => {
    const { settings, warnings } = normaliseSourceSettings({
      codex: { enabled: 0, paths: ['relative/dir', 7, '/abs', '/abs'] },
      cline: 'off',
      cursor: {},
    });
    assert.deepEqual(settings.codex, { enabled: true, paths: ['/abs'] });
    assert.deepEqual(settings.cline, { enabled: true, paths: [] });
    assert.deepEqual(warnings, [
      "unmetered.sources.codex.enabled: expected true or false, got 0; reading this agent's logs",
      'unmetered.sources.codex.paths: expected an absolute folder (or one starting with ~), got "relative/dir"; ignored',
      'unmetered.sources.codex.paths: expected a folder path, got 7; ignored',
      'unmetered.sources.cline: expected an object like {"enabled": true, "paths": []}, got "off"; using the defaults',
      'unmetered.sources.cursor: not an agent Unmetered reads (known: claudeCode, codex, geminiCli, cline,' +
        ' rooCode, kiloCode, qwenCode, amp, continue, factoryDroid, pi, opencode, kiloCli, copilotCli, kimiCli); ignored',
    ]);
    assert.match(normaliseSourceSettings([1]).warnings[0], /^unmetered\.sources: expected an object/);
    assert.deepEqual(
      normaliseSourceSettings({ rooCode: { paths: ['C:\\Users\\dev\\AppData\\Roaming\\Code\\User\\globalStorage'] } }).settings['roo-code']
        .paths,
      ['C:\\Users\\dev\\AppData\\Roaming\\Code\\User\\globalStorage'],
    );
  });
});

describe('settings schema in package.json', { timeout: 60_000 }, () => {
  it('the registry is the one table of agents: each key is its adapter’s id, each settings key unique', async () => {
    const { REGISTRY } = await import('../../src/core/agents/registry');
    const entries = Object.entries(REGISTRY);
    assert.deepEqual(
      entries.filter(([id, a]) => a.id !== id).map(([id]) => id),
      [],
    );
    const keys = entries.map(([, a]) => a.settingsKey);
    assert.equal(new Set(keys).size, keys.length);
    assert.ok(
      keys.every((k) => /^[a-z][A-Za-z]*$/.test(k)),
      keys.join(', '),
    );
  });

  it('declares enabled and paths for every source adapter', async () => {
    const { ADAPTERS } = await import('../../src/core/import');
    const pkg = JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8'));
    const conf = pkg.contributes.configuration;
    const props = (
      Array.isArray(conf) ? conf.flatMap((c: { properties: object }) => Object.entries(c.properties)) : Object.entries(conf.properties)
    ) as [string, { type: string; default: unknown }][];
    const map = new Map(props);
    for (const a of ADAPTERS) {
      assert.deepEqual(
        [map.get(`unmetered.sources.${a.settingsKey}.enabled`)?.type, map.get(`unmetered.sources.${a.settingsKey}.enabled`)?.default],
        ['boolean', true],
        a.id,
      );
      assert.deepEqual(
        [map.get(`unmetered.sources.${a.settingsKey}.paths`)?.type, map.get(`unmetered.sources.${a.settingsKey}.paths`)?.default],
        ['array', []],
        a.id,
      );
    }
  });
});
