import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cline, globalStorageDirs, rooCode, type ImportSummary } from '../../src/core/import';
import { byId, copyFixture, world, type World } from './helpers';

const TASK = 'saoudrizwan.claude-dev/tasks/1730000000000/ui_messages.json';

describe('Cline and Roo Code task histories', { timeout: 30_000 }, () => {
  let w: World;
  let gs: string;
  let summary: ImportSummary;
  before(async () => {
    w = await world();
    gs = copyFixture(w, 'vscode/globalStorage', 'globalStorage');
    // The extension passes the parent of its own globalStorage folder.
    summary = await w.importer({ globalStorageDirs: [gs] }).scan();
  });
  after(() => w.cleanup());

  it('reads finished api_req_started entries with the model Cline wrote on them', () => {
    const r1 = byId(w).get('cline:1730000000000:1730000001000')!;
    assert.equal(r1.agent, 'cline');
    assert.equal(r1.model, 'claude-sonnet-4-5-20250929');
    assert.equal(r1.at, new Date(1730000001000).toISOString());
    assert.deepEqual(r1.tokens, { input: 12, output: 340, cacheRead: 0, cacheWrite5m: 5000, cacheWrite1h: 0, reasoning: 0 });
    assert.equal(r1.costNanos, 23_886_000);
    assert.equal(r1.priceSource?.startsWith('litellm@'), true, 'priced from our table, which knows the model');
    assert.equal(byId(w).get('cline:1730000000000:1730000003000')!.costNanos, 4_449_000);
    assert.equal(w.ledger.records().filter((r) => r.agent === 'cline').length, 2, 'the request still running is not counted yet');
  });

  it('counts a broken entry as malformed without losing the rest of the task', () => {
    assert.equal(summary.sources.find((s) => s.id === 'cline')!.malformedLines, 1);
    assert.ok(
      w.logger.lines.some((l) =>
        l.includes(`${path.join(gs, TASK)}:1: skipped a malformed line: [5].text: expected JSON with tokensIn/tokensOut`),
      ),
      w.logger.lines.join('\n'),
    );
  });

  it('uses the cost Roo Code reported when the model is unknown to us, marked as reported', () => {
    const r = w.ledger.records().find((x) => x.agent === 'roo-code')!;
    assert.equal(r.id, 'roo-code:0b6c1f7e-8a55-4d2b-9d3e-6a7f8e9d0c1b:1730100001000');
    assert.equal(r.model, 'unknown');
    assert.equal(r.costNanos, 1_230_000);
    assert.equal(r.priceSource, 'reported:roo-code');
  });

  it('re-parses a task file rewritten whole: the finished request is added, nothing is counted twice', async () => {
    const file = path.join(gs, TASK);
    const list = JSON.parse(readFileSync(file, 'utf8'));
    list[4].text = JSON.stringify({
      request: '[write_to_file]',
      tokensIn: 3,
      tokensOut: 900,
      cacheWrites: 0,
      cacheReads: 5300,
      cost: 0.01509,
    });
    writeFileSync(file, JSON.stringify(list));
    const s = await w.importer({ globalStorageDirs: [gs] }).scan();
    assert.equal(s.written, 1);
    assert.equal(byId(w).get('cline:1730000000000:1730000004000')!.tokens.output, 900);
    assert.equal(w.ledger.records().filter((r) => r.agent === 'cline').length, 3);
  });

  it("knows VS Code's globalStorage on Linux, macOS and Windows, for Code, Insiders, VSCodium and code-server", () => {
    const linux = globalStorageDirs({ env: {}, home: '/home/dev', platform: 'linux' });
    for (const d of [
      '/home/dev/.config/Code/User/globalStorage',
      '/home/dev/.config/Code - Insiders/User/globalStorage',
      '/home/dev/.config/VSCodium/User/globalStorage',
      '/home/dev/.local/share/code-server/User/globalStorage',
    ])
      assert.ok(linux.includes(d), d);
    const mac = globalStorageDirs({ env: {}, home: '/Users/dev', platform: 'darwin' });
    assert.ok(mac.includes('/Users/dev/Library/Application Support/Code/User/globalStorage'));
    const win = globalStorageDirs({ env: { APPDATA: 'C:\\Users\\dev\\AppData\\Roaming' }, home: 'C:\\Users\\dev', platform: 'win32' });
    assert.ok(win.some((d) => d.startsWith('C:\\Users\\dev\\AppData\\Roaming') && d.includes('Code - Insiders')));
    assert.ok(
      cline
        .defaultRoots({ env: {}, home: '/home/dev', platform: 'linux' })
        .includes('/home/dev/.config/Code/User/globalStorage/saoudrizwan.claude-dev/tasks'),
    );
    assert.ok(
      rooCode
        .defaultRoots({ env: {}, home: '/home/dev', platform: 'linux' })
        .includes('/home/dev/.config/VSCodium/User/globalStorage/rooveterinaryinc.roo-cline/tasks'),
    );
  });
});
