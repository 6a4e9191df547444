/**
 * Issue 11, item 2: a `.jsonl.zst` under CODEX_HOME declaring a 2 GB frame in 17 bytes. fzstd sizes
 * a single-segment frame's window to its declared content size as soon as it reads the header, so
 * the frame must be refused before fzstd sees it. The other archives are still read.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkZstd, decompressBounded, ZstdLimitError } from '../../src/core/import/zstd';
import { world, type World } from '../sources/helpers';
import { bombFrame, rawZstd } from '../sources/zstdFrames';

const TWO_GB = 2_000_000_000; // under fzstd's own 2,145,386,496-byte refusal, so only our bound stops it
const GOOD = '019a5000-0000-7000-8000-000000000001';
const goodLines =
  [
    `{"timestamp":"2025-11-06T10:00:00.000Z","type":"session_meta","payload":{"id":"` +
      `${GOOD}","timestamp":"2025-11-06T10:00:00.000Z","cwd":"/home/dev/alpha","originator":"codex_cli_rs",` +
      `"cli_version":"0.46.0","instructions":null,"source":"cli","model_provider":"openai"}}`,
    '{"timestamp":"2025-11-06T10:00:00.010Z","type":"turn_context","payload":{"cwd":"/home/dev/alpha",' +
      '"approval_policy":"on-request","sandbox_policy":{"type":"read-only"},"model":"gpt-5-codex","effort":"medium","summary":"auto"}}',
    '{"timestamp":"2025-11-06T10:00:30.000Z","type":"event_msg","payload":{"type":"token_count",' +
      '"info":{"total_token_usage":{"input_tokens":1000,"cached_input_tokens":0,"output_tokens":100,' +
      '"reasoning_output_tokens":0,"total_tokens":1100},"last_token_usage":{"input_tokens":1000,' +
      '"cached_input_tokens":0,"output_tokens":100,"reasoning_output_tokens":0,"total_tokens":1100},"model_context_window":272000},"rate_limits":null}}',
  ].join('\n') + '\n';

describe('hostile: zstd archives that declare more than they hold', { timeout: 60_000 }, () => {
  let w: World;
  let arch: string;
  before(async () => {
    w = await world();
    arch = path.join(w.dir, 'codex', 'archived_sessions');
    mkdirSync(arch, { recursive: true });
    w.env = { CODEX_HOME: path.join(w.dir, 'codex') };
  });
  after(() => w.cleanup());

  it('the bomb is 17 bytes and declares 2 GB; it is refused before anything is decompressed', () => {
    const bomb = bombFrame(TWO_GB);
    assert.equal(bomb.length, 17);
    assert.throws(
      () => checkZstd(bomb),
      (e: Error) => e instanceof ZstdLimitError && /declares 1907\.3 MiB \(2000000000 bytes\)/.test(e.message),
    );
    let out = 0;
    assert.throws(() => decompressBounded(bomb, (c) => (out += c.length)), ZstdLimitError);
    assert.equal(out, 0);
  });

  it('a raw-block archive of the same size as its content is read (the bound is not in the way)', () => {
    const data = Buffer.from(goodLines.repeat(200));
    const chunks: Buffer[] = [];
    assert.equal(
      decompressBounded(rawZstd(data), (c) => chunks.push(Buffer.from(c))),
      data.length,
    );
    assert.deepEqual(Buffer.concat(chunks), data);
  });

  it('twenty bomb files and one file of twenty bomb frames: each named and skipped, memory flat, the good archive read', async () => {
    for (let i = 0; i < 20; i++)
      writeFileSync(
        path.join(
          arch,
          `rollout-2025-11-06T09-00-${String(i).padStart(2, '0')}-019a5000-0000-7000-8000-0000000001${String(i).padStart(2, '0')}.jsonl.zst`,
        ),
        bombFrame(TWO_GB),
      );
    const twenty = Buffer.concat(Array.from({ length: 20 }, () => bombFrame(TWO_GB)));
    assert.equal(twenty.length, 340);
    writeFileSync(path.join(arch, 'rollout-2025-11-06T09-30-00-019a5000-0000-7000-8000-000000000200.jsonl.zst'), twenty);
    writeFileSync(path.join(arch, `rollout-2025-11-06T10-00-00-${GOOD}.jsonl.zst`), rawZstd(Buffer.from(goodLines)));

    // Sampled at every diagnostic: a 2 GB window would still be referenced when the refusal is logged.
    let peak = 0;
    const warn = w.logger.warn.bind(w.logger);
    w.logger.warn = (m: string) => {
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
      warn(m);
    };
    const before = process.memoryUsage().arrayBuffers;
    const summary = await w.importer().scan();
    w.logger.warn = warn;

    assert.ok(peak - before < 64 * 1024 * 1024, `array buffers grew by ${peak - before} bytes`);
    const skipped = w.logger.lines.filter((l) => l.includes('skipped the whole file: a zstd frame at byte 0 declares 1907.3 MiB'));
    assert.equal(skipped.length, 21, w.logger.lines.join('\n'));
    assert.ok(skipped.some((l) => l.includes('019a5000-0000-7000-8000-000000000200.jsonl.zst')));
    assert.equal(summary.malformedLines, 21);
    // the good archive: 1,000 input and 100 output at gpt-5-codex = 1,000 × 1,250 + 100 × 10,000 nanos
    const got = w.ledger.records();
    assert.equal(got.length, 1);
    assert.deepEqual([got[0].tokens.input, got[0].tokens.output, got[0].costNanos], [1000, 100, 2_250_000]);
  });

  it('a skipped archive is not read again until it changes', async () => {
    const again = await w.importer().scan();
    assert.equal(again.filesRead, 0);
    assert.equal(again.malformedLines, 0);
  });
});
