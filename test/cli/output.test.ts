import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fdOutput } from '../../src/cli/output';
import { builtFile } from '../helpers/dist';

// The CLI writes its output to fd 1 and 2 directly (src/cli/output.ts). What a user relies on: the text
// arrives whole and in order, `| head` ends it quietly, and a descriptor that cannot take a write hands
// it to the stream instead of losing it.
describe('the CLI’s output', { timeout: 60_000 }, () => {
  test('a reader that stops early (| head) ends the output quietly, with the command’s own exit code', (t) => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'unmetered-output-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    // 400 days of one line each: `daily --json` is ~170 kB, more than a pipe holds.
    const dir = path.join(root, 'claude', 'projects', '-home-dev-acme');
    mkdirSync(dir, { recursive: true });
    const lines = Array.from({ length: 400 }, (_, i) =>
      JSON.stringify({
        type: 'assistant',
        cwd: '/home/dev/acme',
        sessionId: 's1',
        timestamp: new Date(Date.UTC(2025, 0, 1 + i, 10)).toISOString(),
        message: { id: `msg_${i}`, model: 'claude-sonnet-4-5', usage: { input_tokens: 10, output_tokens: 20 } },
      }),
    );
    writeFileSync(path.join(dir, 's1.jsonl'), lines.join('\n') + '\n');
    const r = spawnSync(
      'bash',
      ['-c', `"${process.execPath}" "${builtFile('cli.js')}" daily --json | head -c 100 > /dev/null; echo "exit \${PIPESTATUS[0]}" >&2`],
      {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          HOME: root,
          UNMETERED_HOME: path.join(root, 'data'),
          CLAUDE_CONFIG_DIR: path.join(root, 'claude'),
          UNMETERED_TZ: 'UTC',
        },
        timeout: 30_000,
      },
    );
    const stderr = r.stderr.split('\n').filter((l) => l && !l.startsWith('unmetered: imported'));
    assert.deepEqual(stderr, ['exit 0'], r.stderr);
  });

  test('text reaches a file whole and in order; a descriptor that refuses a write hands it, and all after it, to the stream', (t) => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'unmetered-output-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const file = path.join(root, 'out.txt');
    const fd = openSync(file, 'w');
    const big = 'é·…'.repeat(40_000);
    const out = fdOutput(fd, () => {
      throw new Error('a file takes every write: the stream is not needed');
    });
    out.write('first\n');
    out.write(big);
    out.write('\nlast\n');
    closeSync(fd);
    assert.equal(readFileSync(file, 'utf8'), `first\n${big}\nlast\n`);
    assert.equal(out.isTTY, false);
    assert.equal(out.columns, undefined);

    // A descriptor open for reading only refuses writes (EBADF): the stream gets them, in order.
    writeFileSync(file, '');
    const ro = openSync(file, 'r');
    const got: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        got.push(chunk.toString());
        done();
      },
    });
    const refused = fdOutput(ro, () => stream as unknown as NodeJS.WriteStream);
    refused.write('one ');
    refused.write('two');
    closeSync(ro);
    assert.deepEqual(got, ['one ', 'two']);
    assert.equal(readFileSync(file, 'utf8'), '');
    // The stream's reader going away (EPIPE) ends the output quietly there too: nothing thrown, nothing more written.
    stream.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    refused.write('three');
    assert.deepEqual(got, ['one ', 'two']);
  });
});
