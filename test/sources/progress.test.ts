/**
 * A scan says how far it is after every file it looks at (issue 12: the CLI's progress line and the
 * editor's notification are drawn from it), on one thread and in worker threads alike.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { builtFile } from '../helpers/dist';
import { normaliseSourceSettings, type ImportProgress } from '../../src/core/import';
import { world, type World } from './helpers';

const CLAUDE_ONLY = normaliseSourceSettings({
  codex: { enabled: false },
  geminiCli: { enabled: false },
  cline: { enabled: false },
  rooCode: { enabled: false },
}).settings;

const line = (id: string, outputTokens: number) =>
  JSON.stringify({
    type: 'assistant',
    cwd: '/home/dev/acme',
    sessionId: 's',
    timestamp: '2026-11-23T10:00:00.000Z',
    message: { id, model: 'claude-sonnet-4-5', role: 'assistant', usage: { input_tokens: 1, output_tokens: outputTokens } },
  }) + '\n';

describe('importer: progress of a scan', { timeout: 60_000 }, () => {
  let w: World;
  let script: string;
  let bytes = 0;
  before(async () => {
    w = await world();
    w.env = { CLAUDE_CONFIG_DIR: path.join(w.dir, 'claude') };
    const dir = path.join(w.dir, 'claude', 'projects', '-home-dev-acme');
    mkdirSync(dir, { recursive: true });
    // 5 files of 2 lines each
    for (let f = 0; f < 5; f++) {
      const text = line(`msg_${f}_a`, 10) + line(`msg_${f}_b`, 20);
      writeFileSync(path.join(dir, `s${f}.jsonl`), text);
      bytes += Buffer.byteLength(text);
    }
    script = builtFile('sources-worker.js');
  });
  after(() => w.cleanup());

  const check = (seen: ImportProgress[]) => {
    assert.equal(seen.length, 5, 'once per file');
    assert.deepEqual(
      seen.map((p) => [p.filesDone, p.files]),
      [
        [1, 5],
        [2, 5],
        [3, 5],
        [4, 5],
        [5, 5],
      ],
    );
    assert.equal(seen[4].bytesRead, bytes, 'every byte of the 5 files read by the end');
    assert.ok(seen.every((p, i) => i === 0 || p.bytesRead > seen[i - 1].bytesRead));
  };

  it('reports after each file on one thread, and the files found unchanged on a re-scan count as done', async () => {
    const seen: ImportProgress[] = [];
    const importer = w.importer({ settings: CLAUDE_ONLY });
    const s = await importer.scan({ onProgress: (p) => seen.push({ ...p }) });
    assert.equal(s.written, 10);
    check(seen);
    const again: ImportProgress[] = [];
    await importer.scan({ onProgress: (p) => again.push({ ...p }) });
    assert.deepEqual(
      again.map((p) => [p.filesDone, p.files, p.bytesRead]),
      [1, 2, 3, 4, 5].map((n) => [n, 5, 0]),
    );
  });

  it('reports after each file when worker threads read', async () => {
    const v = await world();
    try {
      v.env = w.env;
      const seen: ImportProgress[] = [];
      const s = await v.importer({ settings: CLAUDE_ONLY, workerScript: script, workers: 1, parallelMinBytes: 1 }).scan({
        onProgress: (p) => seen.push({ ...p }),
      });
      assert.equal(s.written, 10);
      check(seen);
    } finally {
      await v.cleanup();
    }
  });
});
