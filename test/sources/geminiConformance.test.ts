/**
 * Gemini CLI read from logs written as gemini-cli writes them (fixtures/gemini-home, see its README:
 * google-gemini/gemini-cli @ 5411f113cafae26161b4969b0237b8e1e024e2c2). Every figure below is worked
 * out by hand from the fixture and the pinned prices in src/core/pricing/snapshot.json, in nano-dollars
 * per token: gemini-2.5-pro input 1,250 · cached 125 · output 10,000; gemini-2.5-flash 300 · 30 · 2,500;
 * gemini-3-pro-preview 2,000 · 200 · 12,000. Stored tokens: input = input − cached + tool,
 * cacheRead = cached, output = output + thoughts (reasoning = thoughts).
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { geminiCli, normaliseSourceSettings } from '../../src/core/import';
import { byId, copyFixture, world, type World } from './helpers';

const S1 = 'gemini-cli:1f0c2b7e-8a4d-4c3e-9b2a-6d5e4f3a2b1c:0b7d1c1e-000';
const S2 = 'gemini-cli:5d6e7f80-1111-4222-8333-944455556666:7e1a0000-000';
const SUB = 'gemini-cli:c3d4e5f6-2222-4333-8444-a55566667777:9a9a0000-000';
const S3 = 'gemini-cli:e0e0e0e0-3333-4444-8555-b66677778888:b1b10000-000';
const S4 = 'gemini-cli:0a0b0c0d-4444-4555-8666-c77788889999:c2c20000-000';
const id = (prefix: string, n: number) => `${prefix}${n}-4000-8000-00000000000${n}`;

/** Hand-worked expectations: [id, project, model, tokens {input, cacheRead, output, reasoning}, nano-dollars]. */
const EXPECTED: [string, string | null, string, [number, number, number, number], number | null][] = [
  // .json (twice: old hash folder + its slug copy) and the migrated .jsonl: one record each.
  // 12,000 in (8,000 cached), 800 out + 200 thoughts: 4,000 × 1,250 + 8,000 × 125 + 1,000 × 10,000 = 16,000,000
  [id(S1, 2), 'acme-api', 'gemini-2.5-pro', [4000, 8000, 1000, 200], 16_000_000],
  // 20,000 in (15,000 cached) + 100 tool: 5,100 × 300 + 15,000 × 30 + 500 × 2,500 = 1,530,000 + 450,000 + 1,250,000
  [id(S1, 4), 'acme-api', 'gemini-2.5-flash', [5100, 15000, 500, 0], 3_230_000],
  // resumed: 30,000 in (24,000 cached), 1,200 + 300: 6,000 × 1,250 + 24,000 × 125 + 1,500 × 10,000 = 7.5M + 3M + 15M
  [id(S1, 6), 'acme-api', 'gemini-2.5-pro', [6000, 24000, 1500, 300], 25_500_000],
  // tokens arrive in a second copy, tool calls in a third: 10,000 × 1,250 + 40,000 × 125 + 3,000 × 10,000 = 12.5M + 5M + 30M
  [id(S2, 2), 'acme-api', 'gemini-2.5-pro', [10000, 40000, 3000, 1000], 47_500_000],
  // the model switch, later rewound away (spent all the same): 60,000 × 300 + 1,000 × 2,500 = 18M + 2.5M
  [id(S2, 4), 'acme-api', 'gemini-2.5-flash', [60000, 0, 1000, 0], 20_500_000],
  // also re-listed by the compaction checkpoint: 4,000 × 1,250 + 48,000 × 125 + 400 × 10,000 = 5M + 6M + 4M
  [id(S2, 6), 'acme-api', 'gemini-2.5-pro', [4000, 48000, 400, 0], 15_000_000],
  // after compaction: 9,000 × 1,250 + 400 × 10,000 = 11.25M + 4M
  [id(S2, 8), 'acme-api', 'gemini-2.5-pro', [9000, 0, 400, 100], 15_250_000],
  // the subagent: 20,000 × 300 + 10,000 × 30 + 1,000 × 2,500 = 6M + 0.3M + 2.5M
  [id(SUB, 2), 'acme-api', 'gemini-2.5-flash', [20000, 10000, 1000, 300], 8_800_000],
  // /home/dev/web_app: 8,000 × 2,000 + 500 × 12,000 = 16M + 6M
  [id(S3, 2), 'web_app', 'gemini-3-pro-preview', [8000, 0, 500, 0], 22_000_000],
  // a synthetic message without a model: unpriced, never $0
  [id(S3, 3), 'web_app', 'unknown', [1000, 0, 10, 0], null],
  // a hash folder no slug claims: 1,000 × 300 + 100 × 2,500 = 300,000 + 250,000
  [id(S4, 2), null, 'gemini-2.5-flash', [1000, 0, 100, 0], 550_000],
];

const GEMINI_ONLY = { claudeCode: { enabled: false }, codex: { enabled: false }, cline: { enabled: false }, rooCode: { enabled: false } };
const slugChats = (home: string, slug: string) => path.join(home, '.gemini', 'tmp', slug, 'chats');

describe('Gemini CLI conformance (logs as gemini-cli writes them)', { timeout: 30_000 }, () => {
  let w: World;
  let home: string;
  let first: Awaited<ReturnType<ReturnType<World['importer']>['scan']>>;
  const importer = () => w.importer({ settings: normaliseSourceSettings(GEMINI_ONLY).settings });
  before(async () => {
    w = await world();
    home = copyFixture(w, 'gemini-home');
    w.env = { GEMINI_CLI_HOME: home }; // found through GEMINI_CLI_HOME alone: nothing is configured
    first = await importer().scan();
  });
  after(() => w.cleanup());

  it('stores every request once, exact to the token and the nano-dollar', () => {
    const got = byId(w);
    assert.deepEqual([...got.keys()].sort(), EXPECTED.map((e) => e[0]).sort());
    for (const [rid, project, model, [input, cacheRead, output, reasoning], nanos] of EXPECTED) {
      const r = got.get(rid)!;
      assert.deepEqual(r.tokens, { input, cacheRead, output, reasoning, cacheWrite5m: 0, cacheWrite1h: 0 }, rid);
      assert.equal(r.costNanos, nanos, rid);
      assert.equal(r.project, project, rid);
      assert.equal(r.model, model, rid);
      assert.equal(r.agent, 'gemini-cli');
    }
    assert.equal(first.malformedLines, 0);
  });

  it('adds up per project: 151,780,000 for acme-api, 22,000,000 for web_app, 550,000 unnamed', () => {
    const sum = (p: string | null) =>
      w.ledger
        .records()
        .filter((r) => r.project === p)
        .reduce((s, r) => s + (r.costNanos ?? 0), 0);
    // 16,000,000 + 3,230,000 + 25,500,000 + 47,500,000 + 20,500,000 + 15,000,000 + 15,250,000 + 8,800,000
    assert.equal(sum('acme-api'), 151_780_000);
    assert.equal(sum('web_app'), 22_000_000);
    assert.equal(sum(null), 550_000);
  });

  it('takes times from the messages, also from the re-written copies', () => {
    assert.equal(byId(w).get(id(S2, 2))!.at, '2026-04-20T14:02:30.000Z');
    assert.equal(byId(w).get(id(S1, 6))!.at, '2026-05-04T08:00:12.000Z');
  });

  it('adds exactly a new message appended to a session, and nothing for its copies', async () => {
    const file = path.join(slugChats(home, 'acme-api'), 'session-2026-04-20T14-02-5d6e7f80.jsonl');
    const m = {
      id: '7e1a0000-0009-4000-8000-000000000009',
      timestamp: '2026-04-20T14:09:00.000Z',
      type: 'gemini',
      content: 'More.',
      thoughts: [],
      tokens: null as unknown,
      model: 'gemini-2.5-flash',
    };
    appendFileSync(file, JSON.stringify(m) + '\n');
    appendFileSync(file, JSON.stringify({ $set: { lastUpdated: '2026-04-20T14:09:00.001Z' } }) + '\n');
    m.tokens = { input: 4000, output: 100, cached: 2000, thoughts: 0, tool: 0, total: 4100 };
    appendFileSync(file, JSON.stringify(m) + '\n');
    const s = await importer().scan();
    assert.equal(s.written, 1);
    const r = byId(w).get(id(S2, 9))!;
    // 2,000 × 300 + 2,000 × 30 + 100 × 2,500 = 600,000 + 60,000 + 250,000
    assert.equal(r.costNanos, 910_000);
  });

  it('adds exactly the new usage when an old .json session is resumed (copied into .jsonl) in a newly named project folder', async () => {
    // A newer build opens /home/dev/legacy: ProjectRegistry marks tmp/legacy, StorageMigration copies the
    // hash folder into it, and resuming the .json appends metadata, every message and the new turn to .jsonl.
    const tmp = path.join(home, '.gemini', 'tmp');
    const hash = '04382e3e2136986122415aa03b903f429a5c2f7ea590135bac4ab947b97dc809';
    const name = 'session-2025-11-05T10-00-0a0b0c0d.json';
    const doc = JSON.parse(readFileSync(path.join(tmp, hash, 'chats', name), 'utf8'));
    mkdirSync(path.join(tmp, 'legacy', 'chats'), { recursive: true });
    writeFileSync(path.join(tmp, 'legacy', '.project_root'), '/home/dev/legacy');
    writeFileSync(path.join(tmp, 'legacy', 'chats', name), JSON.stringify(doc, null, 2));
    const { messages, ...meta } = doc;
    const lines = [meta, ...messages, { $set: { sessionId: meta.sessionId } }];
    lines.push({
      id: 'c2c20000-0003-4000-8000-000000000003',
      timestamp: '2026-06-01T09:00:00.000Z',
      type: 'gemini',
      content: 'Back.',
      thoughts: [],
      tokens: { input: 2000, output: 200, cached: 0, thoughts: 0, tool: 0, total: 2200 },
      model: 'gemini-2.5-flash',
    });
    writeFileSync(path.join(tmp, 'legacy', 'chats', `${name}l`), lines.map((l) => JSON.stringify(l) + '\n').join(''));
    const s = await importer().scan();
    assert.equal(s.written, 1, 'the copied messages are already stored');
    const r = byId(w).get(id(S4, 3))!;
    assert.equal(r.project, 'legacy');
    assert.equal(r.costNanos, 1_100_000); // 2,000 × 300 + 200 × 2,500
    assert.equal(byId(w).get(id(S4, 2))!.costNanos, 550_000, 'the first copy stored stays as it was');
  });

  it('adds exactly the new usage when a .json document is rewritten in place by an older build', async () => {
    const file = path.join(slugChats(home, 'web-app'), 'session-2026-02-01T10-00-f1f1f1f1.json');
    const doc = {
      sessionId: 'f1f1f1f1-5555-4666-8777-d88899990000',
      projectHash: 'x',
      startTime: '2026-02-01T10:00:00.000Z',
      lastUpdated: '2026-02-01T10:00:00.000Z',
      messages: [] as unknown[],
    };
    const msg = (n: number, input: number) => ({
      id: `d${n}`,
      timestamp: `2026-02-01T10:0${n}:00.000Z`,
      type: 'gemini',
      content: 'x',
      thoughts: [],
      tokens: { input, output: 0, cached: 0, thoughts: 0, tool: 0, total: input },
      model: 'gemini-2.5-flash',
    });
    doc.messages.push(msg(1, 1000));
    writeFileSync(file, JSON.stringify(doc, null, 2));
    assert.equal((await importer().scan()).written, 1);
    doc.messages.push(msg(2, 3000));
    writeFileSync(file, JSON.stringify(doc, null, 2));
    assert.equal((await importer().scan()).written, 1);
    assert.equal(byId(w).get('gemini-cli:f1f1f1f1-5555-4666-8777-d88899990000:d2')!.costNanos, 900_000); // 3,000 × 300
  });
});

describe('Gemini CLI paths', { timeout: 30_000 }, () => {
  it('looks under GEMINI_CLI_HOME when it is set, else under the home folder', () => {
    assert.deepEqual(geminiCli.defaultRoots({ env: { GEMINI_CLI_HOME: '/srv/gem' }, home: '/home/dev', platform: 'linux' }), [
      '/srv/gem/.gemini/tmp',
    ]);
    assert.deepEqual(geminiCli.defaultRoots({ env: {}, home: '/home/dev', platform: 'linux' }), ['/home/dev/.gemini/tmp']);
  });

  it('matches main sessions and subagent transcripts, not backups, temp files or other files', () => {
    assert.ok(geminiCli.matches('/h/.gemini/tmp/app/chats/session-2026-04-20T14-02-5d6e7f80.jsonl'));
    assert.ok(
      geminiCli.matches('/h/.gemini/tmp/app/chats/5d6e7f80-1111-4222-8333-944455556666/c3d4e5f6-2222-4333-8444-a55566667777.jsonl'),
    );
    assert.ok(geminiCli.matches('C:\\Users\\dev\\.gemini\\tmp\\app\\chats\\session-1.json'));
    // subagents between 2026-03-27 and the JSONL change (2026-04-09) wrote one document
    assert.ok(geminiCli.matches('/h/.gemini/tmp/app/chats/5d6e7f80-1111-4222-8333-944455556666/c3d4e5f6-2222-4333-8444-a55566667777.json'));
    assert.ok(!geminiCli.matches('/h/.gemini/tmp/app/chats/session-1.jsonl.unreadable-1760000000000'));
    assert.ok(!geminiCli.matches('/h/.gemini/tmp/app/chats/session-1.jsonl.tmp-4242'));
    assert.ok(!geminiCli.matches('/h/.gemini/tmp/app/logs.json'));
  });

  it('lets a migrated .jsonl supersede the .json it was copied from', () => {
    assert.equal(geminiCli.supersededBy!('/h/.gemini/tmp/app/chats/session-1.json'), '/h/.gemini/tmp/app/chats/session-1.jsonl');
    assert.equal(geminiCli.supersededBy!('/h/.gemini/tmp/app/chats/session-1.jsonl'), null);
  });
});

describe('Gemini CLI bad input', { timeout: 30_000 }, () => {
  let w: World;
  before(async () => {
    w = await world();
  });
  after(() => w.cleanup());

  it('counts one message with an out-of-range timestamp (1e20) as malformed and reads the rest of the document', async () => {
    const chats = path.join(w.dir, 'g', '.gemini', 'tmp', 'p', 'chats');
    mkdirSync(chats, { recursive: true });
    const m = (mid: string, timestamp: unknown) => ({
      id: mid,
      timestamp,
      type: 'gemini',
      content: 'x',
      tokens: { input: 1000, output: 0, cached: 0, thoughts: 0, tool: 0, total: 1000 },
      model: 'gemini-2.5-flash',
    });
    const file = path.join(chats, 'session-x.json');
    writeFileSync(
      file,
      JSON.stringify(
        {
          sessionId: 'hx',
          projectHash: 'h',
          messages: [m('a', '2026-01-01T00:00:00.000Z'), m('b', 1e20), m('c', '2026-01-01T00:02:00.000Z')],
        },
        null,
        2,
      ),
    );
    const s = await w.importer({ env: { GEMINI_CLI_HOME: path.join(w.dir, 'g') } }).scan();
    assert.deepEqual(
      w.ledger
        .records()
        .map((r) => r.id)
        .sort(),
      ['gemini-cli:hx:a', 'gemini-cli:hx:c'],
    );
    assert.equal(s.malformedLines, 1);
    assert.ok(
      w.logger.lines.some((l) => l.includes(`${file}:1: skipped a malformed line: messages[1].timestamp`)),
      w.logger.lines.join('\n'),
    );
  });

  it('counts a JSONL line cut before its tokens as malformed, naming file and line; a last line still being written waits', async () => {
    const chats = path.join(w.dir, 'g2', '.gemini', 'tmp', 'p', 'chats');
    mkdirSync(chats, { recursive: true });
    const file = path.join(chats, 'session-cut.jsonl');
    const full = JSON.stringify({
      id: 'k1',
      timestamp: '2026-01-01T00:00:00.000Z',
      type: 'gemini',
      content: 'long answer',
      thoughts: [],
      tokens: { input: 10, output: 1, cached: 0, thoughts: 0, tool: 0, total: 11 },
      model: 'gemini-2.5-flash',
    });
    const ok = JSON.stringify({
      id: 'k2',
      timestamp: '2026-01-01T00:01:00.000Z',
      type: 'gemini',
      content: 'ok',
      thoughts: [],
      tokens: { input: 20, output: 2, cached: 0, thoughts: 0, tool: 0, total: 22 },
      model: 'gemini-2.5-flash',
    });
    writeFileSync(
      file,
      JSON.stringify({ sessionId: 'cut', projectHash: 'h' }) +
        '\n' +
        full.slice(0, full.indexOf('"tokens"') - 4) +
        '\n' +
        ok +
        '\n' +
        full.slice(0, 30),
    );
    const s = await w.importer({ env: { GEMINI_CLI_HOME: path.join(w.dir, 'g2') } }).scan();
    assert.equal(s.malformedLines, 1, 'the cut line; the unfinished last line is not malformed yet');
    assert.ok(
      w.logger.lines.some((l) => l.includes(`${file}:2: skipped a malformed line: not JSON`)),
      w.logger.lines.join('\n'),
    );
    assert.ok(byId(w).has('gemini-cli:cut:k2'));
  });
});
