/**
 * The twin rule (src/core/ledger/twins.ts) as every reader of the ledger applies it: a request seen in an
 * agent's telemetry and in its log (different ids) is one record, the log's, in either order, however late,
 * after a reopen, and when the log's copy is first read partial and completed afterwards.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { openLedger } from '../../src/core/ledger';
import { View, ADDED, KEPT, REPLACED } from '../../src/core/ledger/view';
import { tokens, type Interaction, type Tokens } from '../../src/core/interaction';
import { segmentFiles, tempDir } from './helpers';

const AT = '2026-11-30T10:00:00.000Z';
const later = (ms: number) => new Date(Date.parse(AT) + ms).toISOString();
const SPLIT = tokens({ input: 1200, cacheRead: 30_000, output: 450, reasoning: 120 });

function rec(id: string, source: Interaction['source'], over: Partial<Interaction> = {}, t: Tokens = SPLIT): Interaction {
  return {
    id,
    at: AT,
    agent: 'codex',
    source,
    project: source === 'otel' ? null : 'acme-api',
    model: 'gpt-5.1-codex',
    route: 'cloud',
    replaces: null,
    tokens: t,
    costNanos: null,
    avoidedNanos: null,
    priceSource: null,
    estimated: false,
    ...over,
  };
}

const LOG = rec('codex:thread-1:resp_1', 'log');
const OTEL = rec('codex:otel:conv-1:t1', 'otel', { at: later(3_000) });

describe('telemetry twins in the ledger', { timeout: 30_000 }, () => {
  for (const order of [
    [OTEL, LOG],
    [LOG, OTEL],
  ]) {
    test(`${order.map((r) => r.source).join(' then ')}, in separate appends: one record, the log's`, async (t) => {
      const dir = tempDir(t);
      const ledger = await openLedger({ dir });
      for (const r of order) await ledger.append([r]);
      assert.deepEqual(
        ledger.records().map((r) => r.id),
        [LOG.id],
      );
      assert.equal(ledger.records()[0].project, 'acme-api');
      await ledger.close();
      const reopened = await openLedger({ dir });
      assert.deepEqual(
        reopened.records().map((r) => r.id),
        [LOG.id],
      );
      // The telemetry copy offered again (an exporter's retry) changes nothing and writes nothing.
      const lines = readFileSync(segmentFiles(dir)[0], 'utf8').split('\n').length;
      assert.deepEqual(await reopened.append([OTEL]), []);
      assert.equal(readFileSync(segmentFiles(dir)[0], 'utf8').split('\n').length, lines);
      assert.equal(reopened.records().length, 1);
      await reopened.close();
    });
  }

  test('a log copy read partial, then the telemetry, then the complete log copy: one record', () => {
    const v = new View();
    const partial = rec(LOG.id, 'log', {}, tokens({ ...SPLIT, output: 200 }));
    assert.equal(v.offer(rec('other', 'log', { agent: 'gemini-cli' })), ADDED);
    assert.equal(v.offer(partial), ADDED);
    assert.equal(v.offer(OTEL), ADDED, 'the partial copy is no twin: its output differs');
    assert.equal(v.offer(rec('after', 'log', { agent: 'claude-code' })), ADDED);
    assert.equal(v.offer(LOG), REPLACED);
    assert.deepEqual(v.records.map((r) => r.id).sort(), ['after', 'codex:thread-1:resp_1', 'other']);
    for (const id of ['after', LOG.id, 'other']) assert.equal(v.get(id)?.id, id);
    assert.equal(v.offer(OTEL), KEPT, 'the telemetry copy, offered again, stays out');
  });

  test('one log copy stands for one telemetry copy: a second identical request is a second record', () => {
    const v = new View();
    const second = rec('codex:otel:conv-1:t2', 'otel', { at: later(20_000) });
    v.offer(OTEL);
    v.offer(second);
    assert.equal(v.offer(LOG), REPLACED);
    assert.deepEqual(
      v.records.map((r) => r.id),
      [LOG.id, second.id],
    );
  });

  test('no twin: another agent, model, token split, a log record, or more than 10 minutes apart', () => {
    const v = new View();
    v.offer(LOG);
    const strangers = [
      rec('o1', 'otel', { agent: 'gemini-cli' }),
      rec('o2', 'otel', { model: 'gpt-5' }),
      rec('o3', 'otel', {}, tokens({ ...SPLIT, input: 1201 })),
      rec('o4', 'otel', { at: later(10 * 60_000 + 1) }), // 10 min + 1 ms after the log copy
      rec('l2', 'gateway', { at: later(-1_000) }), // two non-telemetry copies are never twins
    ];
    for (const r of strangers) assert.equal(v.offer(r), ADDED, r.id);
    // 10 minutes exactly is within the window, and a model the telemetry did not name matches any.
    assert.equal(v.offer(rec('o5', 'otel', { at: later(10 * 60_000), model: 'unknown' })), KEPT);
  });

  test('a hundred thousand records after telemetry arrived: every id found, the table rehashed past stale slots', () => {
    const v = new View();
    v.offer(OTEL);
    v.offer(LOG);
    for (let i = 0; i < 100_000; i++) v.offer(rec(`n${i}`, i % 2 ? 'otel' : 'log', { at: later(i * 60_000) }, tokens({ input: i + 1 })));
    assert.equal(v.size, 100_001);
    for (const i of [0, 1, 4_999, 99_999]) assert.equal(v.get(`n${i}`)?.id, `n${i}`);
  });
});
