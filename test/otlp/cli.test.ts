/**
 * `unmetered gateway` in a terminal receives the agents' telemetry on its port too, and records it into the ledger,
 * priced; a Claude Code event still held for its log copy is decided when the gateway stops.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { gatewayCommand, type GatewayCliContext } from '../../src/cli/gateway';
import { openLedger } from '../../src/core/ledger';
import { memoryLogger, systemClock } from '../../src/core/ports';
import { sendLogs } from './helpers';

const sink = () => new Writable({ write: (_c, _e, cb) => cb() });

describe('CLI gateway receives telemetry', { timeout: 60_000 }, () => {
  test('Copilot Chat and Claude Code events sent by the SDK exporter end in the ledger, priced', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'unmetered-otlp-cli-'));
    const ac = new AbortController();
    const ctx: GatewayCliContext = {
      env: {},
      cwd: dataDir,
      home: dataDir,
      platform: process.platform,
      stdout: sink(),
      stderr: sink(),
      clock: systemClock,
      logger: memoryLogger(),
      dataDir,
      signal: ac.signal,
    };
    const ready = new Promise<number>((resolve) => (ctx.onListening = resolve));
    const run = gatewayCommand(['--port', '0'], ctx);
    const port = await ready;
    try {
      await sendLogs(port, 'json', true, { 'service.name': 'copilot-chat' }, [
        {
          attributes: {
            'event.name': 'gen_ai.client.inference.operation.details',
            'gen_ai.request.model': 'gpt-4o',
            'gen_ai.response.id': 'chatcmpl-cli-otel',
            'gen_ai.usage.input_tokens': 1_000_000,
            'gen_ai.usage.output_tokens': 100_000,
          },
        },
      ]);
      await sendLogs(port, 'protobuf', false, { 'service.name': 'claude-code' }, [
        {
          body: 'claude_code.api_request',
          attributes: {
            'event.name': 'api_request',
            model: 'claude-sonnet-4-5-20250929',
            input_tokens: 10,
            output_tokens: 20,
            request_id: 'req_cli',
          },
        },
      ]);
    } finally {
      ac.abort();
    }
    assert.equal(await run, 0);
    const ledger = await openLedger({ dir: dataDir });
    try {
      // gpt-4o: 1,000,000 input × $2.50/M + 100,000 output × $10/M = $3.50.
      assert.equal(ledger.get('copilot-chat:otel:chatcmpl-cli-otel')?.costNanos, 3_500_000_000);
      assert.equal(ledger.get('claude-code:otel:req_cli')?.source, 'otel', 'decided at shutdown, no log copy seen');
    } finally {
      await ledger.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
