import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { LineSplitter, loadSourceState, saveSourceState, STATE_FILE } from '../../src/core/import';
import { world, type World } from './helpers';

/** A compact Claude Code assistant line. */
function line(id: string, output: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    isSidechain: false,
    cwd: '/home/dev/shop',
    sessionId: 's',
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5-20250929',
      content: [{ type: 'text', text: 'ok' }],
      usage: { input_tokens: 10, cache_read_input_tokens: 0, cache_creation_input_tokens: 0, output_tokens: output },
    },
    requestId: `req_${id}`,
    type: 'assistant',
    timestamp: '2025-11-01T10:00:00.000Z',
    ...extra,
  });
}

describe('tailer: offsets, partial lines, truncation, replacement, restarts', { timeout: 60_000 }, () => {
  let w: World;
  let file: string;
  beforeEach(async () => {
    w = await world();
    w.env = { CLAUDE_CONFIG_DIR: path.join(w.dir, 'claude') };
    mkdirSync(path.join(w.dir, 'claude/projects/p'), { recursive: true });
    file = path.join(w.dir, 'claude/projects/p/s.jsonl');
  });
  afterEach(() => w.cleanup());

  it('reads only the new bytes, and remembers the offset across a restart', async () => {
    writeFileSync(file, line('m1', 1) + '\n' + line('m2', 2) + '\n');
    const first = await w.importer().scan();
    assert.equal(first.recordsParsed, 2);
    const size = readFileSync(file).length;
    assert.equal(first.bytesRead, size);
    assert.equal((await loadSourceState(w.dataDir, w.logger)).get(file)?.offset, size);

    await w.restart();
    const unchanged = await w.importer().scan();
    assert.equal(unchanged.filesRead, 0, 'an unchanged file costs a stat, no read');
    assert.equal(unchanged.bytesRead, 0);

    appendFileSync(file, line('m3', 3) + '\n');
    const next = await w.importer().scan();
    assert.equal(next.bytesRead, readFileSync(file).length - size, 'only the appended line was read');
    assert.equal(next.recordsParsed, 1);
    assert.equal(w.ledger.records().length, 3);
  });

  it('holds a partial last line until its newline arrives', async () => {
    const l = line('m1', 7);
    writeFileSync(file, l.slice(0, 100));
    const a = await w.importer().scan();
    assert.equal(a.recordsParsed, 0);
    assert.equal(a.malformedLines, 0, 'a line still being written is not malformed');
    appendFileSync(file, l.slice(100));
    assert.equal((await w.importer().scan()).recordsParsed, 0);
    appendFileSync(file, '\n');
    const c = await w.importer().scan();
    assert.equal(c.recordsParsed, 1);
    assert.equal(w.ledger.records()[0].tokens.output, 7);
  });

  it('re-reads a truncated file from the start without counting twice', async () => {
    writeFileSync(file, line('m1', 1) + '\n' + line('m2', 2) + '\n');
    await w.importer().scan();
    truncateSync(file, 0);
    writeFileSync(file, line('m1', 1) + '\n');
    const s = await w.importer().scan();
    assert.equal(s.recordsParsed, 1);
    assert.equal(s.written, 0);
    assert.equal(w.ledger.records().length, 2);
  });

  it('notices a file replaced by another (new inode, or same size rewritten in place) and re-reads it', async () => {
    writeFileSync(file, line('m1', 1) + '\n');
    await w.importer().scan();
    const tmp = file + '.new';
    writeFileSync(tmp, line('m1', 1) + '\n' + line('m9', 9) + '\n');
    renameSync(tmp, file);
    const s = await w.importer().scan();
    assert.equal(s.recordsParsed, 2, 'read from the start');
    assert.equal(s.written, 1, 'only m9 is new');

    // Same length, different first bytes, same inode: caught by the head hash.
    const before = readFileSync(file, 'utf8');
    const after = before.replace('"m1"', '"n1"');
    assert.equal(after.length, before.length);
    writeFileSync(file, after + line('m10', 10) + '\n');
    const t = await w.importer().scan();
    assert.equal(t.recordsParsed, 3);
    assert.ok(w.ledger.has('anthropic:n1'));
  });

  it('offsets saved by 0.1 (a sha1 of the first bytes) still tell an appended file from one rewritten in place', async () => {
    writeFileSync(file, line('m1', 1) + '\n');
    await w.importer().scan();
    // The offsets as 0.1 saved them: version 1 (an object per file), the head a sha1 (node:crypto, an
    // independent reference) of the first bytes, in hex.
    const asSaved01 = async () => {
      const files = Object.fromEntries(await loadSourceState(w.dataDir, w.logger));
      files[file].head = createHash('sha1').update(readFileSync(file).subarray(0, files[file].headLen)).digest('hex');
      writeFileSync(path.join(w.dataDir, STATE_FILE), JSON.stringify({ version: 1, files }));
    };
    await asSaved01();
    appendFileSync(file, line('m2', 2) + '\n');
    const s = await w.importer().scan();
    assert.deepEqual([s.recordsParsed, s.written], [1, 1], 'only the appended line is read');

    await asSaved01();
    const before = readFileSync(file, 'utf8');
    writeFileSync(file, before.replace('"m1"', '"n1"') + line('m3', 3) + '\n');
    const t = await w.importer().scan();
    assert.deepEqual([t.recordsParsed, t.written], [3, 2], 'rewritten in place: read from the start (n1 and m3 are new)');
  });

  it('skips a 10 MB line that carries no usage without parsing it, and reads a 10 MB assistant line', async () => {
    const big = 'x'.repeat(10 * 1024 * 1024);
    const user = JSON.stringify({ type: 'user', message: { role: 'user', content: big } });
    const asst = line('big', 5, {
      message: {
        id: 'big',
        model: 'claude-sonnet-4-5-20250929',
        content: [{ type: 'text', text: big }],
        usage: { input_tokens: 1, output_tokens: 5 },
      },
    });
    writeFileSync(file, user + '\n' + asst + '\n' + line('m2', 2) + '\n');
    const s = await w.importer().scan();
    assert.equal(s.recordsParsed, 2);
    assert.equal(s.malformedLines, 0);
    assert.ok(w.ledger.has('anthropic:big'));
  });

  it('skips a line over the limit as malformed, naming file and line, and reads on', async () => {
    const asst = line('huge', 5, { pad: 'y'.repeat(3 * 1024 * 1024) });
    writeFileSync(file, line('m1', 1) + '\n' + asst + '\n' + line('m2', 2) + '\n');
    const s = await w.importer({ maxLineBytes: 1024 * 1024 }).scan();
    assert.equal(s.recordsParsed, 2);
    assert.equal(s.malformedLines, 1);
    assert.ok(
      w.logger.lines.some((l) => l.includes(`${file}:2: skipped a malformed line: a line of`)),
      w.logger.lines.join('\n'),
    );
  });

  it('keeps line numbers right after a restart, in diagnostics', async () => {
    writeFileSync(file, line('m1', 1) + '\n' + line('m2', 2) + '\n');
    await w.importer().scan();
    await w.restart();
    appendFileSync(file, '{"message":{"usage":' + '\n');
    await w.importer().scan();
    assert.ok(
      w.logger.lines.some((l) => l.includes(`${file}:3: skipped a malformed line: not JSON`)),
      w.logger.lines.join('\n'),
    );
  });

  it('re-reads everything when the offsets file is damaged, without double counting', async () => {
    writeFileSync(file, line('m1', 1) + '\n');
    await w.importer().scan();
    writeFileSync(path.join(w.dataDir, STATE_FILE), '{"version":1,"files":');
    await w.restart();
    const s = await w.importer().scan();
    assert.equal(s.recordsParsed, 1);
    assert.equal(s.written, 0);
    assert.ok(w.logger.lines.some((l) => l.includes(STATE_FILE) && l.includes('reading every agent log again')));
  });
});

describe('the offsets file', { timeout: 60_000 }, () => {
  it('keeps every field of every file, parser states and paths sharing prefixes; refuses a damaged column', async () => {
    const w = await world();
    try {
      const state = (source: string, offset: number, parser?: unknown) => ({
        source: source as 'claude-code',
        offset,
        size: offset + 7,
        mtimeMs: 1796217934576.3464,
        ino: 2 ** 40 + offset,
        dev: 65024,
        head: offset ? `h:${offset.toString(16).padStart(16, '0')}` : '',
        headLen: Math.min(offset, 4096),
        lines: offset % 97,
        malformed: offset % 3,
        ...(parser === undefined ? {} : { parser }),
      });
      const files = new Map([
        ['/home/dev/.claude/projects/-home-dev-app/a.jsonl', state('claude-code', 10)],
        ['/home/dev/.claude/projects/-home-dev-app/a.jsonl.bak/b.jsonl', state('claude-code', 0)],
        ['/home/dev/.codex/sessions/2026/11/rollout-é.jsonl', state('codex', 123_456, { model: 'gpt-5-codex', turn: { id: 't1' } })],
        ['/home/dev/.claude/projects/-home-dev-app/a', state('claude-code', 5)],
        ['C:\\Users\\dev\\x.jsonl', state('pi', 1)],
      ]);
      await saveSourceState(w.dataDir, files);
      assert.deepEqual(await loadSourceState(w.dataDir, w.logger), files);

      const text = readFileSync(path.join(w.dataDir, STATE_FILE), 'utf8');
      const v = JSON.parse(text) as { offset: number[] };
      v.offset.pop();
      writeFileSync(path.join(w.dataDir, STATE_FILE), JSON.stringify(v));
      assert.equal((await loadSourceState(w.dataDir, w.logger)).size, 0);
      assert.ok(
        w.logger.lines.some((l) => l.includes('column "offset": expected 5 values') && l.includes('reading every agent log again')),
      );
    } finally {
      await w.cleanup();
    }
  });
});

describe('LineSplitter', { timeout: 60_000 }, () => {
  const split = (chunks: string[], needles?: string[]) => {
    const out: [number, string][] = [];
    const s = new LineSplitter({ needles, onLine: (l) => out.push([l.lineNo, l.text]) });
    for (const c of chunks) s.push(Buffer.from(c));
    return { out, consumed: s.consumed, pending: s.pending, lines: s.lines };
  };

  it('joins lines split across chunks, strips CR, and holds the unfinished tail', () => {
    const r = split(['ab', 'c\r\nde\n', 'f\n', 'gh']);
    assert.deepEqual(r.out, [
      [1, 'abc'],
      [2, 'de'],
      [3, 'f'],
    ]);
    assert.equal(r.consumed, 'abc\r\nde\nf\n'.length);
    assert.equal(r.pending, 2);
  });

  it('decodes only lines holding a needle, keeps counting the others, and handles multi-byte text', () => {
    const r = split(['{"a":1}\n{"usage":"é"}\n', '{"b":2}\n{"us', 'age":2}\n'], ['"usage"']);
    assert.deepEqual(r.out, [
      [2, '{"usage":"é"}'],
      [4, '{"usage":2}'],
    ]);
    assert.equal(r.lines, 4);
  });
});
