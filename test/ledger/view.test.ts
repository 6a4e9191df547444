import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADDED, KEPT, REPLACED, View, hashId } from '../../src/core/ledger/view';
import { record } from './fixtures/records';

test('the view keeps one record per id, the copy with most tokens, through growth and hash collisions', () => {
  const v = new View();
  const n = 5000;
  // every id also offered with a forced, shared hash: lookups must compare ids, not just hashes
  for (let i = 0; i < n; i++) assert.equal(v.offer(record(`id${i}`, { output: 10 })), ADDED);
  for (let i = 0; i < 50; i++) assert.equal(v.offer(record(`collide${i}`), 7), ADDED);
  assert.equal(v.size, n + 50);
  for (let i = 0; i < 50; i++) assert.equal(v.indexOf(`collide${i}`, 7), n + i);
  assert.equal(v.indexOf('collide50', 7), -1);
  assert.equal(v.offer(record('id42', { output: 10 })), KEPT);
  assert.equal(v.offer(record('id42', { output: 9 })), KEPT);
  assert.equal(v.offer(record('id42', { output: 11 })), REPLACED);
  assert.equal(v.get('id42')!.tokens.output, 11);
  assert.equal(v.records[42].id, 'id42');
  assert.equal(v.get('nope'), undefined);
  assert.deepEqual([...v.hashList().subarray(0, 3)], ['id0', 'id1', 'id2'].map(hashId));
});

test('reserve makes room without losing what is there', () => {
  const v = new View();
  for (let i = 0; i < 100; i++) v.offer(record(`a${i}`));
  v.reserve(100_000);
  for (let i = 0; i < 100; i++) assert.equal(v.indexOf(`a${i}`), i);
  for (let i = 0; i < 100_000; i++) v.offer(record(`b${i}`));
  assert.equal(v.size, 100_100);
  assert.equal(v.indexOf('b99999'), 100_099);
});

test('hashId is FNV-1a over UTF-16 code units (snapshots store it)', () => {
  assert.equal(hashId(''), 0x811c9dc5);
  assert.equal(hashId('a'), 0xe40c292c);
  assert.equal(hashId('foobar'), 0xbf9cf968);
});
