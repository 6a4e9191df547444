/**
 * Claude Code transcripts whose lines carry no `cwd` (fixtures/claude-nocwd, see its README), and lines
 * cut before their usage. Prices (snapshot.json, nano-dollars per token): claude-sonnet-4-5 input 3,000 ·
 * 5-minute cache write 3,750 · cache read 300 · output 15,000; claude-haiku-4-5 1,000 · 1,250 · 100 · 5,000.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { claudeCode } from '../../src/core/import';
import { encodeClaudeProject } from '../../src/core/agents/claudeCode';
import { byId, FIXTURES, world, type World } from './helpers';

describe('Claude Code: the project of lines without a cwd', { timeout: 30_000 }, () => {
  let w: World;
  before(async () => {
    w = await world({ CLAUDE_CONFIG_DIR: path.join(FIXTURES, 'claude-nocwd') });
    await w.importer().scan();
  });
  after(() => w.cleanup());

  it("gives a subagent line the parent session's project, not the lossy decoding of the folder name", () => {
    const r = byId(w).get('anthropic:msg_01Q1')!;
    assert.equal(r.project, 'my_app', 'the parent ran in /home/dev/my_app; the folder -home-dev-my-app alone would say "app"');
    // 50 × 1,000 + 400 × 1,250 + 5,000 × 100 + 120 × 5,000 = 50,000 + 500,000 + 500,000 + 600,000
    assert.equal(r.costNanos, 1_650_000);
    assert.equal(byId(w).get('anthropic:msg_01P1')!.project, 'my_app');
    // 10 × 3,000 + 1,000 × 3,750 + 20,000 × 300 + 200 × 15,000 = 30,000 + 3,750,000 + 6,000,000 + 3,000,000
    assert.equal(byId(w).get('anthropic:msg_01P1')!.costNanos, 12_780_000);
  });

  it('falls back to the last part of the folder name when no transcript of the folder names its cwd', () => {
    const r = byId(w).get('anthropic:msg_01T1')!;
    assert.equal(r.project, 'tools');
    assert.equal(r.costNanos, 150_000); // 100 × 1,000 + 10 × 5,000
    assert.ok(!w.ledger.records().some((x) => x.project === null));
  });

  it('encodes a cwd as Claude Code names its folder', () => {
    assert.equal(encodeClaudeProject('/home/dev/my_app'), '-home-dev-my-app');
    assert.equal(encodeClaudeProject('C:\\Users\\dev\\site.io'), 'C--Users-dev-site-io');
  });
});

describe('Claude Code: a line cut before its usage', { timeout: 30_000 }, () => {
  let w: World;
  let dir: string;
  before(async () => {
    w = await world();
    dir = path.join(w.dir, 'cc');
  });
  after(() => w.cleanup());

  const line = (id: string, text: string) =>
    JSON.stringify({
      parentUuid: null,
      isSidechain: false,
      userType: 'external',
      cwd: '/home/dev/x',
      sessionId: 's',
      version: '2.0.31',
      message: {
        model: 'claude-haiku-4-5-20251001',
        id,
        type: 'message',
        role: 'assistant',
        content: [{ type: 'text', text }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 100, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 10 },
      },
      requestId: 'r',
      type: 'assistant',
      uuid: id,
      timestamp: '2026-01-01T00:00:00.000Z',
    });

  it('counts it as malformed with file and line; a last line still being written is not malformed yet', async () => {
    const file = path.join(dir, 'projects', '-home-dev-x', 's.jsonl');
    mkdirSync(path.dirname(file), { recursive: true });
    const cut = line('msg_cut', 'a long answer '.repeat(50));
    const user = JSON.stringify({
      type: 'user',
      cwd: '/home/dev/x',
      message: { role: 'user', content: 'hi' },
      uuid: 'u',
      timestamp: '2026-01-01T00:00:00.000Z',
    });
    const head = cut.slice(0, cut.indexOf('a long answer') + 40);
    assert.ok(!head.includes('"usage"'));
    writeFileSync(file, `${user}\n${head}\n${line('msg_ok', 'ok')}\n${line('msg_tail', 'x').slice(0, 300)}`);
    const s = await w.importer({ env: { CLAUDE_CONFIG_DIR: dir } }).scan();
    assert.equal(s.malformedLines, 1);
    assert.ok(
      w.logger.lines.some((l) => l.includes(`${file}:2: skipped a malformed line: not JSON`)),
      w.logger.lines.join('\n'),
    );
    assert.deepEqual(
      w.ledger.records().map((r) => r.id),
      ['anthropic:msg_ok'],
    );
    assert.ok(claudeCode.leadNeedles!.includes('"role":"assistant"'));
  });
});
