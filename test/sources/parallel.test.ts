/**
 * A big first import read in worker threads must store exactly what a read on one thread stores,
 * in the same order, with the same offsets and diagnostics; and when the threads cannot start or
 * die halfway, the import still completes on the importer's thread. The worker runs as it ships:
 * dist/sources-worker.js, the bundle test/run.mjs builds (esbuild.mjs) before the suites start.
 */
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { builtFile } from '../helpers/dist';
import type { Interaction } from '../../src/core/interaction';
import { Recorder } from '../../src/core/record/recorder';
import { createImporter, loadSourceState, normaliseSourceSettings } from '../../src/core/import';
import { generateClaudeCorpus } from './corpus';
import { FIXTURES, world, type World } from './helpers';

const CLAUDE_AND_CODEX = normaliseSourceSettings({
  geminiCli: { enabled: false },
  cline: { enabled: false },
  rooCode: { enabled: false },
}).settings;

describe('importer: a big first import read in worker threads', { timeout: 60_000 }, () => {
  let dir: string;
  let script: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'unmetered-parallel-'));
    script = builtFile('sources-worker.js');
    const claude = path.join(dir, 'claude');
    await generateClaudeCorpus({
      root: claude,
      sessions: 40,
      days: 4,
      turns: [3, 12],
      toolResultBytes: [200, 3000],
      seed: 5,
      subagentSessions: 0.3,
      btwSessions: 0.3,
    });
    // One session big enough to reach the importer in several batches.
    const big = Array.from({ length: 9000 }, (_, i) =>
      JSON.stringify({
        cwd: '/home/dev/big',
        sessionId: 'big',
        message: {
          id: `msg_big_${i}`,
          model: 'claude-sonnet-4-5-20250929',
          role: 'assistant',
          content: [],
          usage: { input_tokens: 3, output_tokens: i + 1 },
        },
        requestId: `req_big_${i}`,
        type: 'assistant',
        timestamp: '2025-11-02T10:00:00.000Z',
      }),
    );
    mkdirSync(path.join(claude, 'projects/-home-dev-big'), { recursive: true });
    writeFileSync(path.join(claude, 'projects/-home-dev-big/big.jsonl'), big.join('\n') + '\n{"message":{"usage":\n');
    const codex = path.join(dir, 'codex');
    cpSync(path.join(FIXTURES, 'codex'), codex, { recursive: true });
    env = { CLAUDE_CONFIG_DIR: claude, CODEX_HOME: codex };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A fresh data directory; a first import with the given options. */
  async function importOnce(extra: { workerScript?: string; workers?: number }) {
    const w = await world(env);
    const summary = await w.importer({ settings: CLAUDE_AND_CODEX, ...extra, parallelMinBytes: 0 }).scan();
    return { w, summary };
  }
  const shape = (w: World) => ({
    records: [...w.ledger.records()] as Interaction[],
    warnings: w.logger.lines.filter((l) => l.includes('malformed')).sort(),
  });

  it('stores the same records in the same order, with the same figures and diagnostics, as one thread', async () => {
    const one = await importOnce({});
    const par = await importOnce({ workerScript: script, workers: 2 });
    try {
      assert.ok(one.summary.written > 9000, `${one.summary.written} interactions`);
      assert.deepEqual(shape(par.w), shape(one.w));
      assert.ok(shape(one.w).warnings.length >= 2, 'malformed lines are reported with file and line');
      const figures = (s: typeof one.summary) => [s.filesSeen, s.filesRead, s.bytesRead, s.recordsParsed, s.written, s.malformedLines];
      assert.deepEqual(figures(par.summary), figures(one.summary));
      assert.deepEqual([one.summary.threads, par.summary.threads], [0, 2], 'the summary says where the files were read');
      assert.ok(!par.w.logger.lines.some((l) => l.includes('worker threads failed')), par.w.logger.lines.join('\n'));
    } finally {
      await one.w.cleanup();
      await par.w.cleanup();
    }
  });

  it('keeps offsets: the next scan reads nothing, then only an appended line', async () => {
    const { w } = await importOnce({ workerScript: script, workers: 2 });
    try {
      const again = await w.importer({ settings: CLAUDE_AND_CODEX, workerScript: script, parallelMinBytes: 0 }).scan();
      assert.equal(again.filesRead, 0);
      assert.equal(again.written, 0);
      const file = path.join(env.CLAUDE_CONFIG_DIR!, 'projects/-home-dev-big/big.jsonl');
      // The torn last line gets its end, and a new response follows it.
      appendFileSync(
        file,
        '\n' +
          JSON.stringify({
            cwd: '/home/dev/big',
            message: { id: 'msg_big_new', model: 'claude-sonnet-4-5-20250929', usage: { input_tokens: 1, output_tokens: 1 } },
            type: 'assistant',
            timestamp: '2025-11-02T11:00:00.000Z',
          }) +
          '\n',
      );
      const next = await w.importer({ settings: CLAUDE_AND_CODEX, workerScript: script, parallelMinBytes: 0 }).scan();
      assert.deepEqual([next.filesRead, next.written], [1, 1]);
      assert.ok(w.ledger.has('anthropic:msg_big_new'));
    } finally {
      await w.cleanup();
    }
  });

  it('a failed append fails the scan and saves no offsets; the next scan stores everything (one thread and workers)', async () => {
    const one = await importOnce({});
    try {
      for (const extra of [{}, { workerScript: script, workers: 2 }]) {
        const w = await world(env);
        try {
          // The ledger refuses its second append (a full disk), then works again.
          let calls = 0;
          const ledger = new Proxy(w.ledger, {
            get(target, key) {
              if (key === 'append')
                return (records: Interaction[]) => (++calls === 2 ? Promise.reject(new Error('disk full')) : target.append(records));
              const v = Reflect.get(target, key);
              return typeof v === 'function' ? v.bind(target) : v;
            },
          });
          const importer = createImporter({
            dataDir: w.dataDir,
            env,
            home: w.home,
            platform: 'linux',
            recorder: new Recorder({ ledger, prices: () => w.prices }),
            logger: w.logger,
            settings: CLAUDE_AND_CODEX,
            parallelMinBytes: 0,
            ...extra,
          });
          await assert.rejects(importer.scan(), /disk full/);
          assert.equal((await loadSourceState(w.dataDir, w.logger)).size, 0, 'no offsets saved past what was stored');
          const next = await importer.scan();
          const byId = (rs: readonly Interaction[]) => [...rs].sort((a, b) => (a.id < b.id ? -1 : 1));
          assert.deepEqual(byId(w.ledger.records()), byId(one.w.ledger.records()));
          assert.ok(next.written > 0 && next.written < one.summary.written, `${next.written} written after the failure`);
        } finally {
          await w.cleanup();
        }
      }
    } finally {
      await one.w.cleanup();
    }
  });

  it('reads on its own thread, with a warning, when the worker script is missing or a worker dies halfway', async () => {
    const one = await importOnce({});
    const dying = path.join(dir, 'dying-worker.js');
    // Takes its first jobs, then dies: some files are handed out and never come back.
    writeFileSync(dying, "require('node:worker_threads').parentPort.once('message', () => setTimeout(() => process.exit(3), 5));\n");
    try {
      for (const workerScript of [path.join(dir, 'missing.js'), dying]) {
        const got = await importOnce({ workerScript, workers: 2 });
        try {
          assert.deepEqual(shape(got.w), shape(one.w), workerScript);
          assert.equal(got.summary.written, one.summary.written);
          assert.ok(
            got.w.logger.lines.some((l) => l.includes('reading in worker threads failed')),
            got.w.logger.lines.join('\n'),
          );
        } finally {
          await got.w.cleanup();
        }
      }
    } finally {
      await one.w.cleanup();
    }
  });
});
