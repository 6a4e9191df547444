import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { geminiCli, normaliseSourceSettings } from '../../src/core/import';
import { byId, copyFixture, world, type World } from './helpers';

const OLD = 'tmp/5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8/chats/session-2025-09-01T08-00-8c1d2e.json';

describe('Gemini CLI chats', { timeout: 30_000 }, () => {
  let w: World;
  let dir: string;
  const only = () =>
    normaliseSourceSettings({
      geminiCli: { paths: [dir] },
      claudeCode: { enabled: false },
      codex: { enabled: false },
      cline: { enabled: false },
      rooCode: { enabled: false },
    }).settings;
  before(async () => {
    w = await world();
    dir = copyFixture(w, 'gemini');
    await w.importer({ settings: only() }).scan();
  });
  after(() => w.cleanup());

  it('keeps the re-appended copy of a message that carries its tokens; input includes cached, thoughts are output', () => {
    const r = byId(w).get('gemini-cli:g-sess-1:m2')!;
    assert.deepEqual(r.tokens, { input: 4000, cacheRead: 8000, output: 450, reasoning: 150, cacheWrite5m: 0, cacheWrite1h: 0 });
    assert.equal(r.model, 'gemini-2.5-pro');
    assert.equal(r.costNanos, 10_500_000); // 4,000 × 1.25 + 8,000 × 0.125 + 450 × 10 (µ$)
  });

  it('treats $set as metadata and keeps the spend of messages a $rewindTo removed from the chat', () => {
    const m3 = byId(w).get('gemini-cli:g-sess-1:m3')!;
    assert.deepEqual(
      m3.tokens,
      { input: 5200, cacheRead: 0, output: 100, reasoning: 0, cacheWrite5m: 0, cacheWrite1h: 0 },
      'tool-use prompt tokens are input',
    );
    assert.equal(m3.costNanos, 1_810_000);
    assert.equal(byId(w).get('gemini-cli:g-sess-1:m4')!.costNanos, 3_592_000);
    assert.equal(w.ledger.records().filter((r) => r.id.startsWith('gemini-cli:g-sess-1:')).length, 3);
  });

  it('reads the older one-document .json sessions, and re-reads one rewritten whole without counting twice', async () => {
    assert.equal(byId(w).get('gemini-cli:g-old:o2')!.costNanos, 325_000);
    const file = path.join(dir, OLD);
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    doc.messages.push({
      id: 'o3',
      timestamp: '2025-09-01T08:05:00.000Z',
      type: 'gemini',
      content: 'Again.',
      tokens: { input: 2000, output: 20, cached: 0, thoughts: 0, tool: 0, total: 2020 },
      model: 'gemini-2.5-flash',
    });
    writeFileSync(file, JSON.stringify(doc, null, 2));
    const s = await w.importer({ settings: only() }).scan();
    assert.equal(s.recordsParsed, 2, 'the whole document was parsed again');
    assert.equal(s.written, 1, 'only the new message was stored');
    assert.ok(byId(w).has('gemini-cli:g-old:o3'));
  });

  it('looks in ~/.gemini/tmp/<hash>/chats for session-*.json(l)', () => {
    assert.deepEqual(geminiCli.defaultRoots({ env: {}, home: '/home/dev', platform: 'linux' }), ['/home/dev/.gemini/tmp']);
    assert.ok(geminiCli.matches('/home/dev/.gemini/tmp/abc/chats/session-2025-10-30T10-00-x.jsonl'));
    assert.ok(geminiCli.matches('C:\\Users\\dev\\.gemini\\tmp\\abc\\chats\\session-1.json'));
    assert.ok(!geminiCli.matches('/home/dev/.gemini/tmp/abc/logs.json'));
  });
});
