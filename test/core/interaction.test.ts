import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokens, validateInteraction, type Interaction } from '../../src/core/interaction';

const good: Interaction = {
  id: 'anthropic:msg_01',
  at: '2026-11-23T12:00:00.000Z',
  agent: 'claude-code',
  source: 'log',
  project: 'acme',
  model: 'claude-sonnet-4-5',
  route: 'cloud',
  replaces: null,
  tokens: tokens({ input: 4, output: 312 }),
  costNanos: 24_900_300,
  avoidedNanos: null,
  priceSource: 'litellm@00035b69',
  estimated: false,
};

test('a valid interaction passes through unchanged, optional flags included', () => {
  assert.equal(validateInteraction(good), good);
  const flagged = { ...good, fast: true, priceInferred: true };
  assert.equal(validateInteraction(flagged), flagged);
});

test('a bad field is named, with what was expected and what arrived', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ id: '' }, /^interaction\.id: expected a non-empty string, got ""/],
    [{ at: 'yesterday' }, /^interaction\.at: expected an ISO-8601 timestamp, got "yesterday"/],
    [{ source: 'email' }, /^interaction\.source: expected log\|gateway\|chat\|otel, got "email"/],
    [{ route: 'moon' }, /^interaction\.route: expected cloud\|local/],
    [{ tokens: { ...good.tokens, output: -1 } }, /^interaction\.tokens\.output: expected a non-negative integer, got -1/],
    [{ tokens: { ...good.tokens, input: 1.5 } }, /^interaction\.tokens\.input: expected a non-negative integer, got 1\.5/],
    [{ costNanos: 0.5 }, /^interaction\.costNanos: expected a non-negative integer or null, got 0\.5/],
    [{ estimated: 'no' }, /^interaction\.estimated: expected a boolean/],
    [{ fast: 'yes' }, /^interaction\.fast: expected a boolean when present, got "yes"/],
    [{ priceInferred: 1 }, /^interaction\.priceInferred: expected a boolean when present, got 1/],
  ];
  for (const [patch, message] of cases) {
    assert.throws(
      () => validateInteraction({ ...good, ...patch }),
      (err: Error & { code?: string }) => err.code === 'E_INTERACTION' && message.test(err.message),
      JSON.stringify(patch),
    );
  }
  assert.throws(() => validateInteraction(null), /interaction\.: expected an object/);
});
