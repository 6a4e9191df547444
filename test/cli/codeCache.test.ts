import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { builtFile } from '../helpers/dist';
import { Collector } from '../otlp-export/collector';

// The command chunks are compiled from V8's code cache kept in <data>/cache/code (src/cli/codeCache.ts).
// What a user relies on: the answer is the same with a cache, without one, with a damaged one and
// after the chunk is rebuilt, and the cache is reused rather than written on every run.
const native = typeof (Module as unknown as { enableCompileCache?: unknown }).enableCompileCache === 'function';

/** Writes a session of two responses; returns its file. */
function claudeLog(logs: string): string {
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
  const file = path.join(dir, 's1.jsonl');
  writeFileSync(file, line('msg_1', 20) + line('msg_2', 30));
  return file;
}

/** A copy of the shipped bundles (so a "rebuilt" chunk changes nothing of dist/), and a runner of it on `logs` and `data`. */
function setUp(root: string) {
  const dist = path.join(root, 'dist');
  mkdirSync(dist);
  for (const f of readdirSync(path.dirname(builtFile('cli.js'))))
    if (f.endsWith('.js')) cpSync(path.join(path.dirname(builtFile('cli.js')), f), path.join(dist, f));
  const logs = path.join(root, 'logs');
  const data = path.join(root, 'data');
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
  return { dist, logs, codeDir, run, viewsCache };
}

const interactions = (out: string) => (JSON.parse(out) as { totals: { interactions: number } }).totals.interactions;

describe('the code cache of the command chunks', { timeout: 60_000 }, () => {
  test('reused across runs, replaced when damaged or when the chunk is rebuilt, and never changes an answer', (t) => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'unmetered-codecache-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const { dist, logs, codeDir, run, viewsCache } = setUp(root);
    claudeLog(logs);

    const first = run('daily', '--json');
    assert.equal(interactions(first), 2);
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

  // The first run on a machine reads the history in worker threads; a run with nothing new reads nothing. Their
  // caches lack the readers that a run with news runs here, which would compile them again on every such run.
  test(
    'written once more by the first run that reads the logs here, when the run that wrote it did not',
    { skip: native && 'Node 22.1+ keeps its own compile cache' },
    (t) => {
      const root = mkdtempSync(path.join(os.tmpdir(), 'unmetered-codecache-'));
      t.after(() => rmSync(root, { recursive: true, force: true }));
      const { logs, codeDir, run, viewsCache } = setUp(root);
      mkdirSync(path.join(logs, 'claude', 'projects'), { recursive: true });

      assert.equal(interactions(run('daily', '--json')), 0, 'no logs yet: nothing read');
      const cache = () => path.join(codeDir, viewsCache()[0]);
      const before = statSync(cache());
      assert.equal(interactions(run('daily', '--json')), 0);
      assert.equal(statSync(cache()).mtimeMs, before.mtimeMs, 'nothing read again: the cache stands');

      const session = claudeLog(logs);
      assert.equal(interactions(run('daily', '--json')), 2);
      const after = statSync(cache());
      assert.equal(viewsCache().length, 1);
      assert.notEqual(after.mtimeMs, before.mtimeMs, 'the first run that read here wrote the cache again');
      assert.ok(after.size > before.size, `it holds the readers as well: ${after.size} bytes against ${before.size}`);

      appendFileSync(session, readFileSync(session, 'utf8').replace(/msg_/g, 'msg_more_'));
      assert.equal(interactions(run('daily', '--json')), 4);
      assert.equal(interactions(run('daily', '--json')), 4);
      assert.equal(statSync(cache()).mtimeMs, after.mtimeMs, 'later runs, with news or without, use it as it is');
    },
  );

  // `unmetered telemetry` loads the OpenTelemetry SDK's chunk (dist/otlp-export.js, ~1.6 MB unminified) for an
  // export; it is compiled from the cache as the command chunks are. Asynchronous runs: the collector answers here.
  test(
    'the OpenTelemetry chunk keeps a cache of its own: written once, then reused, and the export is the same',
    { skip: native && 'Node 22.1+ keeps its own compile cache' },
    async (t) => {
      const root = mkdtempSync(path.join(os.tmpdir(), 'unmetered-codecache-'));
      const c = new Collector();
      await c.start();
      t.after(async () => {
        await c.stop();
        rmSync(root, { recursive: true, force: true });
      });
      const { dist, logs, codeDir } = setUp(root);
      const session = claudeLog(logs);
      const telemetry = async () => {
        const { stdout } = await promisify(execFile)(
          process.execPath,
          [path.join(dist, 'cli.js'), 'telemetry', '--json', '--endpoint', c.url],
          {
            env: {
              PATH: process.env.PATH,
              HOME: logs,
              UNMETERED_HOME: path.join(root, 'data'),
              CLAUDE_CONFIG_DIR: path.join(logs, 'claude'),
            },
            timeout: 20_000,
          },
        );
        return (JSON.parse(stdout) as { sent: number; error: string | null }).sent;
      };
      const otlpCache = () => readdirSync(codeDir).filter((f) => f.startsWith('otlp-export-'));

      assert.equal(await telemetry(), 2);
      assert.equal(otlpCache().length, 1, 'the export left a cache of the SDK chunk');
      const cache = path.join(codeDir, otlpCache()[0]);
      const at = statSync(cache).mtimeMs;

      assert.equal(await telemetry(), 0, 'nothing new to send');
      appendFileSync(session, readFileSync(session, 'utf8').replace(/msg_/g, 'msg_more_'));
      assert.equal(await telemetry(), 2, 'the two new interactions, sent from the cached chunk');
      assert.equal(statSync(cache).mtimeMs, at, 'a cache V8 took is not written again');
      assert.deepEqual(otlpCache(), [path.basename(cache)]);
      assert.deepEqual(
        c.events.map((e) => e.attributes['unmetered.interaction.id']).sort(),
        ['anthropic:msg_1', 'anthropic:msg_2', 'anthropic:msg_more_1', 'anthropic:msg_more_2'],
        'the collector holds each interaction once',
      );
    },
  );
});
