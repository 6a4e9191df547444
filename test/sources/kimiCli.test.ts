import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { byId, copyFixture, onlySource, tokensOf, world, type World } from './helpers';

const WIRE = 'sessions/3f1c0e6a9b2d4c5e8f7a6b5c4d3e2f10/5b0f9c3e-2d71-4a8e-9c64-1e2f3a4b5c6d/wire.jsonl';
const T = tokensOf;
const mine = (w: World) => w.ledger.records().filter((r) => r.agent === 'kimi-cli');

describe('Kimi CLI sessions', { timeout: 30_000 }, () => {
  let w: World;
  let dir: string;
  const only = () => onlySource('kimiCli', [dir]);
  before(async () => {
    w = await world();
    dir = copyFixture(w, 'kimi-cli');
    await w.importer({ settings: only() }).scan();
  });
  after(() => w.cleanup());

  it("reads a step's StatusUpdate: disjoint counts, the provider's message id, the time of the line", () => {
    const r = byId(w).get('kimi-cli:chatcmpl-k2a2')!;
    // input_other 300, input_cache_read 9,500, input_cache_creation 2,000, output 1,200
    assert.deepEqual(r.tokens, T({ input: 300, output: 1_200, cacheRead: 9_500, cacheWrite5m: 2_000 }));
    assert.equal(r.at, '2026-11-30T09:00:15.750Z'); // 1,796,029,215.75 s after the epoch
    assert.equal(r.project, null, 'the wire names the work dir only by its md5');
  });

  it("counts a subagent's call, wrapped in a SubagentEvent, like the main agent's", () => {
    const r = byId(w).get('kimi-cli:chatcmpl-sub1')!;
    assert.deepEqual(r.tokens, T({ input: 400, output: 90 }));
    assert.equal(r.at, '2026-11-30T09:00:10.000Z', 'the time of the wrapping line');
  });

  it('totals: three calls, the context-only update and the interrupted step add nothing; unpriced, never $0', () => {
    const all = mine(w);
    assert.equal(all.length, 3);
    const sum = (k: 'input' | 'output' | 'cacheRead' | 'cacheWrite5m') => all.reduce((s, r) => s + r.tokens[k], 0);
    assert.equal(sum('input'), 1_900); // 1,200 + 400 + 300
    assert.equal(sum('output'), 1_640); // 350 + 90 + 1,200
    assert.equal(sum('cacheRead'), 17_500); // 8,000 + 0 + 9,500
    assert.equal(sum('cacheWrite5m'), 2_000);
    // The wire names no model: $0 would be a lie, so no cost at all (0 nano-dollars priced of 3 interactions).
    assert.ok(all.every((r) => r.model === 'unknown' && r.costNanos === null && r.priceSource === null));
  });

  it('reports the malformed line with its file and line number', () => {
    assert.ok(
      w.logger.lines.some(
        (l) => l.includes(`${path.basename(path.dirname(WIRE))}`) && l.includes(':13: skipped a malformed line: token_usage.output'),
      ),
      w.logger.lines.join('\n'),
    );
  });

  it('a re-read after the session grows adds exactly the new step, once', async () => {
    const line = JSON.stringify({
      timestamp: 1796029260.5,
      message: {
        type: 'StatusUpdate',
        payload: {
          token_usage: { input_other: 70, output: 30, input_cache_read: 17_000, input_cache_creation: 0 },
          message_id: 'chatcmpl-k2a3',
        },
      },
    });
    appendFileSync(path.join(dir, WIRE), `${line}\n`);
    await w.importer({ settings: only() }).scan();
    await w.importer({ settings: only() }).scan();
    assert.equal(mine(w).length, 4);
    assert.deepEqual(byId(w).get('kimi-cli:chatcmpl-k2a3')!.tokens, T({ input: 70, output: 30, cacheRead: 17_000 }));
    // 1,900 + 70 and 1,640 + 30: the earlier steps were not stored again
    assert.equal(
      mine(w).reduce((s, r) => s + r.tokens.input, 0),
      1_970,
    );
    assert.equal(
      mine(w).reduce((s, r) => s + r.tokens.output, 0),
      1_670,
    );
  });
});
