import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { builtFile } from '../helpers/dist';

// The command chunks are compiled from V8's code cache kept in <data>/cache/code (src/cli/codeCache.ts).
// What a user relies on: the answer is the same with a cache, without one, with a damaged one and
// after the chunk is rebuilt, and the cache is reused rather than written on every run.
const native = typeof (Module as unknown as { enableCompileCache?: unknown }).enableCompileCache === 'function';

function claudeLog(logs: string): void {
  const dir = path.join(logs, 'claude', 'projects', '-home-dev-acme');
  mkdirSync(dir, { recursive: true });
  const line = (id: string, output: number) =>
    JSON.stringify({
      type: 'assistant',
      cwd: '/home/dev/acme',
      sessionId: 's1',
      timestamp: '2026-11-23T10:00:00.000Z',
      message: { id, model: 'claude-sonnet-4-5', usage: { input_tokens: 10, output_tokens: output } },
    }) + '\n';
  writeFileSync(path.join(dir, 's1.jsonl'), line('msg_1', 20) + line('msg_2', 30));
}

describe('the code cache of the command chunks', { timeout: 60_000 }, () => {
  test('reused across runs, replaced when damaged or when the chunk is rebuilt, and never changes an answer', (t) => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'unmetered-codecache-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    // A copy of the shipped bundles, so a "rebuilt" chunk changes nothing of dist/.
    const dist = path.join(root, 'dist');
    mkdirSync(dist);
    for (const f of readdirSync(path.dirname(builtFile('cli.js'))))
      if (f.endsWith('.js')) cpSync(path.join(path.dirname(builtFile('cli.js')), f), path.join(dist, f));
    const logs = path.join(root, 'logs');
    const data = path.join(root, 'data');
    claudeLog(logs);
    const codeDir = path.join(data, 'cache', 'code');
    const run = (...args: string[]) => {
      const r = spawnSync(process.execPath, [path.join(dist, 'cli.js'), ...args], {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          HOME: logs,
          UNMETERED_HOME: data,
          CLAUDE_CONFIG_DIR: path.join(logs, 'claude'),
          UNMETERED_TZ: 'UTC',
        },
        timeout: 20_000,
      });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    const viewsCache = () => readdirSync(codeDir).filter((f) => f.startsWith('cli-views-'));

    const first = run('daily', '--json');
    assert.equal((JSON.parse(first) as { totals: { interactions: number } }).totals.interactions, 2);
    if (native) {
      // Node's own compile cache (22.1+): kept there, and the answers stay the same.
      assert.ok(readdirSync(codeDir).length > 0, 'Node wrote its compile cache in the data directory');
      assert.equal(run('daily', '--json'), first);
      return;
    }
    assert.equal(viewsCache().length, 1, 'the views chunk left its cache');
    const cache = path.join(codeDir, viewsCache()[0]);
    const written = readFileSync(cache);
    const at = statSync(cache).mtimeMs;

    assert.equal(run('daily', '--json'), first);
    assert.equal(statSync(cache).mtimeMs, at, 'a cache V8 took is not written again');

    // Damaged (same length, other bytes): V8 refuses it, the chunk compiles from source, and a good cache replaces it.
    writeFileSync(cache, Buffer.alloc(written.length, 0x5a));
    assert.equal(run('daily', '--json'), first);
    assert.equal(viewsCache().length, 1);
    assert.notDeepEqual(readFileSync(path.join(codeDir, viewsCache()[0])), Buffer.alloc(written.length, 0x5a));

    // The chunk rebuilt (here: one more line): its old cache is never used for it, and is removed.
    appendFileSync(path.join(dist, 'cli-views.js'), '\n// rebuilt\n');
    assert.equal(run('daily', '--json'), first);
    assert.equal(viewsCache().length, 1);
    assert.notEqual(path.join(codeDir, viewsCache()[0]), cache, 'a new cache, named by the new chunk');

    // Another command's chunk keeps a cache of its own beside it.
    const line = run('statusline');
    assert.match(line, /\$/);
    assert.ok(readdirSync(codeDir).some((f) => f.startsWith('cli-statusline-')));
    assert.equal(run('statusline'), line);
  });
});
