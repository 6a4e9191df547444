/**
 * Conformance of the Cline, Roo Code and Kilo Code readers against files shaped exactly as the
 * writers' own code writes them (test/sources/fixtures/taskfamily/README.md names the repository,
 * path and commit each follows). Every total below is worked out by hand from the pinned prices in
 * src/core/pricing/snapshot.json, in nano-dollars per token:
 *   claude-sonnet-4-5(-20250929): input 3000, output 15000, cache write 3750, cache read 300
 *   claude-haiku-4-5-20251001:    input 1000, output 5000,  cache write 1250, cache read 100
 *   gpt-4.1:                      input 2000, output 8000,  cache read 500
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cline, defaultSourceSettings, kiloCode, type ImportSummary } from '../../src/core/import';
import { modelAt, readModelTimeline, taskParser } from '../../src/core/agents/vscodeTasks';
import { byId, copyFixture, world, type World } from './helpers';

const SONNET = 'claude-sonnet-4-5-20250929';
const HAIKU = 'claude-haiku-4-5-20251001';
const T = 1767225600000;
const C = 1767312000000;

type Rec = ReturnType<World['ledger']['records']>[number];
const sum = (rs: Rec[]) => ({
  input: rs.reduce((a, r) => a + r.tokens.input, 0),
  output: rs.reduce((a, r) => a + r.tokens.output, 0),
  cacheWrite: rs.reduce((a, r) => a + r.tokens.cacheWrite5m, 0),
  cacheRead: rs.reduce((a, r) => a + r.tokens.cacheRead, 0),
  nanos: rs.reduce((a, r) => a + (r.costNanos ?? NaN), 0),
});

describe('Cline, Roo Code and Kilo Code as their writers write them', { timeout: 60_000 }, () => {
  let w: World;
  let root: string;
  let summary: ImportSummary;
  const settings = () => {
    const s = defaultSourceSettings();
    // A custom storage path (roo-cline.customStoragePath) beside the default globalStorage locations.
    s['roo-code'].paths = [path.join(root, 'roo-code', 'custom-storage'), '<defaults>'];
    return s;
  };
  const scan = () =>
    w
      .importer({
        settings: settings(),
        env: { CLINE_DATA_DIR: path.join(root, 'cline', 'data') },
        globalStorageDirs: [path.join(root, 'roo-code', 'globalStorage'), path.join(root, 'kilo-code', 'globalStorage')],
      })
      .scan();
  const of = (agent: string, task?: string) => w.ledger.records().filter((r) => r.agent === agent && (!task || r.id.includes(`:${task}:`)));

  before(async () => {
    w = await world();
    root = copyFixture(w, 'taskfamily', 'taskfamily');
    summary = await scan();
  });
  after(() => w.cleanup());

  it('Roo Code: tokensIn is the total input; the model comes from <model> in the environment details, switches included', () => {
    const r = byId(w);
    const r1 = r.get('roo-code:0195a1f0-task-alpha:' + (T + 1000))!;
    // tokensIn 5012 = 12 uncached + 5000 written; 12×3000 + 340×15000 + 5000×3750 = 36,000 + 5,100,000 + 18,750,000
    assert.deepEqual(r1.tokens, { input: 12, output: 340, cacheRead: 0, cacheWrite5m: 5000, cacheWrite1h: 0, reasoning: 0 });
    assert.equal(r1.model, SONNET);
    assert.equal(r1.costNanos, 23_886_000);
    assert.equal(r1.project, 'alpha', 'from "Current Workspace Directory (/work/alpha)"');
    // 5403 − 400 − 5000 = 3; 3×3000 + 900×15000 + 400×3750 + 5000×300 = 9,000 + 13,500,000 + 1,500,000 + 1,500,000
    assert.equal(r.get('roo-code:0195a1f0-task-alpha:' + (T + 10000))!.costNanos, 16_509_000);
    // After the switch: 5420 − 5400 = 20; 20×1000 + 120×5000 + 5400×100 = 20,000 + 600,000 + 540,000
    const r3 = r.get('roo-code:0195a1f0-task-alpha:' + (T + 30000))!;
    assert.equal(r3.model, HAIKU);
    assert.equal(r3.tokens.input, 20);
    assert.equal(r3.costNanos, 1_160_000);
    assert.equal(
      r.has('roo-code:0195a1f0-task-alpha:' + (T + 20000)),
      false,
      'a failed attempt with zero tokens bills nothing and is no interaction',
    );
  });

  it('Roo Code: a condense is its own cost, with no tokens and no model, priced as the agent reported it', () => {
    const c = byId(w).get('roo-code:0195a1f0-task-alpha:' + (T + 40000))!;
    assert.equal(c.model, 'unknown');
    assert.deepEqual(c.tokens, { input: 0, output: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 });
    assert.equal(c.costNanos, 4_200_000); // contextCondense.cost 0.0042
    assert.equal(c.priceSource, 'reported:roo-code');
  });

  it('Roo Code: the task adds up to the hand-worked total', () => {
    // 23,886,000 + 16,509,000 + 1,160,000 + 4,200,000 (condense) + 1,350,000 (100×1000 + 50×5000 + 800×1250)
    assert.deepEqual(sum(of('roo-code', '0195a1f0-task-alpha')), {
      input: 135,
      output: 1410,
      cacheWrite: 6200,
      cacheRead: 10400,
      nanos: 47_105_000,
    });
  });

  it('Roo Code: a task under a custom storage path is found; where no log names the model it stays unknown and the reported cost stands', () => {
    const b = of('roo-code', '0195b2e1-task-beta');
    assert.equal(b.length, 2, 'both sides of the resume');
    assert.ok(b.every((r) => r.model === 'unknown' && r.priceSource === 'reported:roo-code'));
    assert.ok(
      b.every((r) => r.project === 'beta'),
      'the workspace of history_item.json',
    );
    // 2100 − 2000 = 100 and 2300 − 300 − 2000 = 0 uncached; reported $0.0012 + $0.00152
    assert.deepEqual(sum(b), { input: 100, output: 300, cacheWrite: 300, cacheRead: 4000, nanos: 2_720_000 });
  });

  it("Kilo Code: Roo's format; an OpenAI-protocol total, an older disjoint count, and one out-of-range ts that costs only its own entry", () => {
    const k = of('kilo-code');
    assert.equal(k.length, 2);
    const [k1, k2] = k.sort((a, b) => a.at.localeCompare(b.at));
    // openai: 2000 − 1500 = 500; 500×2000 + 300×8000 + 1500×500 = 1,000,000 + 2,400,000 + 750,000
    assert.equal(k1.model, 'gpt-4.1');
    assert.equal(k1.project, 'gamma');
    assert.equal(k1.costNanos, 4_150_000);
    // tokensIn 10 < 4000 cached: the count from before the total-input change; 10×3000 + 200×15000 + 4000×300
    assert.equal(k2.model, SONNET);
    assert.equal(k2.tokens.input, 10);
    assert.equal(k2.costNanos, 4_230_000);
    assert.equal(summary.sources.find((s) => s.id === 'kilo-code')!.malformedLines, 1);
    assert.ok(
      w.logger.lines.some((l) => l.includes('[2].ts: expected epoch milliseconds, got 100000000000000000000')),
      w.logger.lines.join('\n'),
    );
  });

  it('Cline: api_req_started by provider, subagent_usage and deleted_api_reqs, from CLINE_DATA_DIR/tasks', () => {
    const t = of('cline', '1767312000000');
    const r = byId(w);
    // OpenAI-compatible: tokensIn 3000 includes 2000 cached → 1000; 1000×2000 + 100×8000 + 2000×500
    assert.equal(r.get(`cline:1767312000000:${C + 10000}`)!.costNanos, 3_800_000);
    // LiteLLM: 1500 − 1000 = 500; 500×2000 + 50×8000 + 1000×500
    assert.equal(r.get(`cline:1767312000000:${C + 20000}`)!.costNanos, 1_900_000);
    const sub = r.get(`cline:1767312000000:${C + 40000}`)!;
    assert.equal(sub.model, 'unknown');
    assert.equal(sub.priceSource, 'reported:cline');
    assert.equal(sub.costNanos, 21_300_000);
    assert.equal(r.get(`cline:1767312000000:${C + 50000}`)!.costNanos, 3_300_000, 'a restore sum seen for the first time is all new');
    assert.equal(r.has(`cline:1767312000000:${C + 30000}`), false);
    // 23,886,000 + 3,800,000 + 1,900,000 + 21,300,000 + 3,300,000
    assert.deepEqual(sum(t), { input: 12 + 1000 + 500 + 4000 + 700, output: 1170, cacheWrite: 5000, cacheRead: 3300, nanos: 54_186_000 });
  });

  it('Cline 4.x SDK: session and subagent messages.json, per-message metrics and model', () => {
    const r = byId(w);
    const lead = r.get('cline:sess_01:m3')!;
    assert.equal(lead.model, 'claude-sonnet-4-5');
    assert.deepEqual(lead.tokens, { input: 12, output: 340, cacheRead: 0, cacheWrite5m: 5000, cacheWrite1h: 0, reasoning: 0 });
    assert.equal(lead.costNanos, 23_886_000);
    const sub = r.get('cline:sess_01__agent_1:s2')!;
    assert.equal(sub.model, HAIKU);
    // 1100 − 1000 = 100; 100×1000 + 200×5000 + 1000×100
    assert.equal(sub.costNanos, 1_200_000);
    assert.equal(r.has('cline:sess_01:m2'), false, 'an assistant message without metrics carries no usage');
    assert.equal(lead.project, 'delta', 'workspace_root of the session manifest');
    assert.equal(sub.project, 'delta', "a subagent shares its root session's workspace");
  });

  it('a Roo checkpoint restore adds nothing for requests already stored, and exactly the removed ones never stored', async () => {
    const file = path.join(root, 'roo-code/globalStorage/rooveterinaryinc.roo-cline/tasks/0195a1f0-task-alpha/ui_messages.json');
    const before = sum(of('roo-code'));
    const list = JSON.parse(readFileSync(file, 'utf8'));
    // checkpoints/index.ts: consolidateTokenUsage over the removed messages (requests and condense costs, in order).
    const removed = list.slice(3);
    const u = removed.filter((m: { say: string }) => m.say === 'api_req_started').map((m: { text: string }) => JSON.parse(m.text));
    const cost = removed.reduce(
      (a: number, m: { say: string; text?: string; contextCondense?: { cost: number } }) =>
        a + (m.say === 'condense_context' ? m.contextCondense!.cost : JSON.parse(m.text!).cost),
      0,
    );
    const deleted = { tokensIn: 0, tokensOut: 0, cacheWrites: 0, cacheReads: 0, cost };
    for (const x of u) for (const k of ['tokensIn', 'tokensOut', 'cacheWrites', 'cacheReads'] as const) deleted[k] += x[k];
    const kept = [...list.slice(0, 3), { ts: T + 60000, type: 'say', say: 'api_req_deleted', text: JSON.stringify(deleted) }];
    writeFileSync(file, JSON.stringify(kept));
    assert.equal((await scan()).written, 0);
    assert.deepEqual(sum(of('roo-code')), before);

    // A request made and removed by a second restore before any read: its usage is new.
    const x = {
      ts: T + 70000,
      type: 'say',
      say: 'api_req_started',
      text: JSON.stringify({ apiProtocol: 'anthropic', tokensIn: 3100, tokensOut: 10, cacheWrites: 0, cacheReads: 3000, cost: 0.00041 }),
    };
    writeFileSync(file, JSON.stringify([...kept, { ts: T + 65000, type: 'say', say: 'text', text: 'again' }, x]));
    writeFileSync(
      file,
      JSON.stringify([
        ...kept,
        { ts: T + 65000, type: 'say', say: 'text', text: 'again' },
        {
          ts: T + 80000,
          type: 'say',
          say: 'api_req_deleted',
          text: JSON.stringify({ tokensIn: 3100, tokensOut: 10, cacheWrites: 0, cacheReads: 3000, cost: 0.00041 }),
        },
      ]),
    );
    assert.equal((await scan()).written, 1);
    const d = byId(w).get('roo-code:0195a1f0-task-alpha:' + (T + 80000))!;
    assert.deepEqual(d.tokens, { input: 100, output: 10, cacheRead: 3000, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 });
    assert.equal(d.model, 'unknown');
    assert.equal(d.costNanos, 410_000);
    assert.equal(sum(of('roo-code')).nanos, before.nanos + 410_000);
  });

  it('Cline restores, nested: sums of stored requests, subagent sums and earlier sums add nothing; a removed request never read is added once', async () => {
    const file = path.join(root, 'cline/data/tasks/1767312000000/ui_messages.json');
    const list = JSON.parse(readFileSync(file, 'utf8'));
    // getApiMetrics over the removed messages: api_req_started, deleted_api_reqs and subagent_usage alike.
    const removed = list.slice(2).map((m: { text: string }) => JSON.parse(m.text));
    const d = { tokensIn: 0, tokensOut: 0, cacheWrites: 0, cacheReads: 0, cost: 0 };
    for (const x of removed) for (const k of Object.keys(d) as (keyof typeof d)[]) d[k] += x[k];
    const beforeNanos = sum(of('cline')).nanos;
    writeFileSync(
      file,
      JSON.stringify([
        ...list.slice(0, 2),
        {
          ts: C + 60000,
          type: 'say',
          say: 'deleted_api_reqs',
          text: JSON.stringify(d),
          modelInfo: { providerId: 'anthropic', modelId: SONNET },
        },
      ]),
    );
    assert.equal((await scan()).written, 0);
    assert.equal(sum(of('cline')).nanos, beforeNanos);

    // A second restore removes that sum and the first request (both stored): Cline adds the earlier sum as written.
    const first = JSON.parse(readFileSync(file, 'utf8'));
    const add = (...xs: (typeof d)[]) =>
      Object.fromEntries(Object.keys(d).map((k) => [k, xs.reduce((a, x) => a + x[k as keyof typeof d], 0)])) as typeof d;
    const d2 = add(JSON.parse(first[1].text), JSON.parse(first[2].text));
    const mi = { providerId: 'anthropic', modelId: SONNET };
    writeFileSync(
      file,
      JSON.stringify([first[0], { ts: C + 70000, type: 'say', say: 'deleted_api_reqs', text: JSON.stringify(d2), modelInfo: mi }]),
    );
    assert.equal((await scan()).written, 0);
    assert.equal(sum(of('cline')).nanos, beforeNanos);

    // A request never read, then a third restore that removes it with the second sum: only that request is new.
    const y = { request: '…', tokensIn: 200, tokensOut: 30, cacheWrites: 0, cacheReads: 0, cost: 0.00105 };
    writeFileSync(
      file,
      JSON.stringify([
        first[0],
        { ts: C + 70000, type: 'say', say: 'deleted_api_reqs', text: JSON.stringify(d2), modelInfo: mi },
        { ts: C + 80000, type: 'say', say: 'api_req_started', text: JSON.stringify(y), modelInfo: mi },
      ]),
    );
    writeFileSync(
      file,
      JSON.stringify([first[0], { ts: C + 90000, type: 'say', say: 'deleted_api_reqs', text: JSON.stringify(add(d2, y)), modelInfo: mi }]),
    );
    assert.equal((await scan()).written, 1);
    const r = byId(w).get(`cline:1767312000000:${C + 90000}`)!;
    assert.deepEqual(r.tokens, { input: 200, output: 30, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 });
    assert.equal(r.costNanos, 1_050_000); // as reported; also 200×3000 + 30×15000 at Sonnet prices
    assert.equal(sum(of('cline')).nanos, beforeNanos + 1_050_000);
  });

  it('a resumed task rewritten in place with more messages adds exactly the new request', async () => {
    const file = path.join(root, 'roo-code/custom-storage/tasks/0195b2e1-task-beta/ui_messages.json');
    const list = JSON.parse(readFileSync(file, 'utf8'));
    list.push({
      ts: 1767229200000 + 3700000,
      type: 'say',
      say: 'api_req_started',
      text: JSON.stringify({ apiProtocol: 'anthropic', tokensIn: 1100, tokensOut: 20, cacheWrites: 0, cacheReads: 1000, cost: 0.0002 }),
    });
    writeFileSync(file, JSON.stringify(list));
    const s = await scan();
    assert.equal(s.written, 1);
    assert.equal(sum(of('roo-code', '0195b2e1-task-beta')).nanos, 2_720_000 + 200_000);
  });

  it(
    'finds Cline under CLINE_DATA_DIR, CLINE_DIR/data, ~/.cline/data and CLINE_SESSION_DATA_DIR' +
      '; Kilo under its extension id and its custom storage path',
    () => {
      const roots = (env: NodeJS.ProcessEnv) => cline.defaultRoots({ env, home: '/home/dev', platform: 'linux' });
      assert.ok(roots({}).includes('/home/dev/.cline/data/tasks') && roots({}).includes('/home/dev/.cline/data/sessions'));
      assert.ok(roots({ CLINE_DIR: '/opt/cline' }).includes('/opt/cline/data/tasks'));
      assert.ok(roots({ CLINE_DATA_DIR: '/d' }).includes('/d/sessions'));
      assert.ok(roots({ CLINE_DATA_DIR: '/d', CLINE_SESSION_DATA_DIR: '/s' }).includes('/s'));
      assert.ok(
        kiloCode
          .defaultRoots({ env: {}, home: '/home/dev', platform: 'linux' })
          .includes('/home/dev/.config/Code/User/globalStorage/kilocode.kilo-code/tasks'),
      );
      // The extension passes roo-cline.customStoragePath / kilo-code.customStoragePath: tasks are in <path>/tasks.
      const custom = { 'roo-code': ['/data/roo'], 'kilo-code': ['/data/kilo'] };
      assert.ok(
        kiloCode.defaultRoots({ env: {}, home: '/home/dev', platform: 'linux', customStoragePaths: custom }).includes('/data/kilo/tasks'),
      );
      assert.ok(
        !kiloCode.defaultRoots({ env: {}, home: '/home/dev', platform: 'linux', customStoragePaths: custom }).includes('/data/roo/tasks'),
      );
    },
  );

  it('Roo Code: a switch made for the next request, still running, does not rename the one before it', () => {
    const dir = path.join(mkdtempSync(path.join(w.dir, 'roo-')), 'task1');
    mkdirSync(dir);
    const env = (m: string) => ({
      type: 'text',
      text: `<environment_details>\n# Current Mode\n<slug>code</slug>\n<name>Code</name>\n<model>${m}</model>\n\n</environment_details>`,
    });
    writeFileSync(
      path.join(dir, 'api_conversation_history.json'),
      JSON.stringify([
        { role: 'user', content: [{ type: 'text', text: 'go' }, env(SONNET)], ts: 1200 },
        { role: 'user', content: [{ type: 'text', text: 'more' }, env(HAIKU)], ts: 10200 },
      ]),
    );
    const ui = [
      {
        ts: 1000,
        type: 'say',
        say: 'api_req_started',
        text: JSON.stringify({ apiProtocol: 'anthropic', tokensIn: 10, tokensOut: 1, cacheWrites: 0, cacheReads: 0, cost: 0.000045 }),
      },
      { ts: 10000, type: 'say', say: 'api_req_started', text: JSON.stringify({ apiProtocol: 'anthropic' }) },
    ];
    const out = taskParser(path.join(dir, 'ui_messages.json'), { agent: 'roo-code', flavour: 'roo', siblingHistory: true }).line(
      JSON.stringify(ui),
      1,
    );
    assert.equal(out.length, 1);
    assert.equal(out[0].interaction.model, SONNET);
  });

  it('odd entries are each one counted malformed entry (or nothing), never an exception; the good ones are read', () => {
    const dir = path.join(mkdtempSync(path.join(w.dir, 'odd-')), 'task2');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'api_conversation_history.json'), '{"not":"a list"}');
    const ok = (ts: number) => ({
      ts,
      type: 'say',
      say: 'api_req_started',
      text: JSON.stringify({ tokensIn: 10, tokensOut: 1, cacheWrites: 0, cacheReads: 0, cost: 0.001 }),
    });
    const odd = [
      null,
      7,
      'x',
      [],
      { type: 'say' },
      { ts: 1, type: 'say', say: 'api_req_started' },
      { ts: 2, type: 'say', say: 'api_req_started', text: '[]' }, // malformed: not an object
      { ts: 3, type: 'say', say: 'api_req_started', text: '{"tokensIn":' }, // malformed: not JSON
      { ts: 4, type: 'say', say: 'api_req_started', text: JSON.stringify({ tokensIn: -1, tokensOut: 1 }) }, // malformed
      { ts: 5, type: 'say', say: 'api_req_started', text: JSON.stringify({ tokensIn: 1e300, tokensOut: 1 }) }, // malformed
      { ts: 'soon', type: 'say', say: 'api_req_started', text: JSON.stringify({ tokensIn: 1, tokensOut: 1 }) }, // malformed
      { ts: -1e20, type: 'say', say: 'api_req_deleted', text: JSON.stringify({ tokensIn: 1, tokensOut: 1 }) }, // malformed
      { ts: 6, type: 'say', say: 'condense_context', contextCondense: { cost: 'free' } }, // malformed
      { ts: 7, type: 'say', say: 'condense_context', contextCondense: 'x', modelInfo: 5 },
      { ts: 8, type: 'say', say: 'api_req_started', text: JSON.stringify({ tokensIn: 3, tokensOut: 1, cost: 'cheap' }) }, // read, cost unknown
      ok(9),
    ];
    const reasons: string[] = [];
    const out = taskParser(path.join(dir, 'ui_messages.json'), { agent: 'kilo-code', flavour: 'roo', siblingHistory: true }).line(
      JSON.stringify(odd),
      1,
      (r) => reasons.push(r),
    );
    assert.equal(reasons.length, 7, reasons.join('\n'));
    assert.deepEqual(
      out.map((r) => [r.interaction.id.split(':').pop(), r.interaction.model, r.reportedCostNanos]),
      [
        ['8', 'unknown', undefined],
        ['9', 'unknown', 1_000_000],
      ],
    );
  });

  it('reads no api_conversation_history.json beyond its size bound: the model is then unknown, never guessed', () => {
    const dir = path.join(root, 'kilo-code/globalStorage/kilocode.kilo-code/tasks/0196c3d2-task-gamma');
    assert.equal(modelAt(readModelTimeline(dir), Infinity), SONNET);
    assert.deepEqual(readModelTimeline(dir, 100).points, []);
    assert.deepEqual(readModelTimeline(mkdtempSync(path.join(w.dir, 'nohistory-'))).points, []);
  });
});
