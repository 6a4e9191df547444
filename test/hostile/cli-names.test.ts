/**
 * Names that agents' logs put in the ledger (models, agents) reach the terminal through
 * `unmetered status` and `unmetered report` (issue 11, item 4): escape sequences in them (OSC 52
 * clipboard writes, window titles, clear screen, backspaces) must never be printed raw.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { tokens, type Interaction } from '../../src/core/interaction';
import { openLedger } from '../../src/core/ledger';
import { cli, RAW_CONTROLS, tmpRoot } from './helpers';

const EVIL_MODEL = 'gpt\u001b]52;c;cHduZWQ=\u0007-evil\u001b[2J\u0008\u009b31m';
const EVIL_AGENT = 'agent\u001b]0;XTITLEX\u0007\u001bc';

let root: string;
before(async () => {
  root = tmpRoot('names');
  mkdirSync(path.join(root, '.unmetered'));
  const ledger = await openLedger({ dir: path.join(root, '.unmetered') });
  const rec: Interaction = {
    id: 'evil-1',
    at: '2026-11-23T08:00:00.000Z',
    agent: EVIL_AGENT,
    source: 'log',
    project: 'p',
    model: EVIL_MODEL,
    route: 'cloud',
    replaces: null,
    tokens: tokens({ input: 10, output: 10 }),
    costNanos: 1_000_000,
    avoidedNanos: null,
    priceSource: null,
    estimated: false,
  };
  await ledger.append([rec]);
  await ledger.close();
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('escape sequences in ledger names never reach the terminal', { timeout: 60_000 }, () => {
  for (const args of [
    ['status', '--no-scan'],
    ['report', '--no-scan'],
  ]) {
    test(`unmetered ${args[0]}`, () => {
      const r = cli(args, { cwd: root, env: { UNMETERED_TZ: 'UTC' } });
      assert.equal(r.signal, null);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, RAW_CONTROLS);
      assert.doesNotMatch(r.stderr, RAW_CONTROLS);
      assert.ok(!r.stdout.includes('cHduZWQ') && !r.stdout.includes('XTITLEX'), 'sequence payloads are removed whole');
      assert.match(r.stdout, /gpt-evil/, 'the printable part of the model name stays');
    });
  }
});
