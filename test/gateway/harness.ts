/** A gateway wired to fake vendors, collecting the Interactions it hands over. */
import http from 'node:http';
import { createGateway, type Gateway, type GatewayConfig } from '../../src/core/gateway';
import type { Interaction } from '../../src/core/interaction';
import { fixedClock, memoryLogger } from '../../src/core/ports';
import { startFakeAnthropic, startFakeOllama, startFakeOpenAI, type FakeOllama, type FakeServer } from '../helpers/fake-vendors';

export interface Harness {
  gateway: Gateway;
  url: string;
  port: number;
  config: GatewayConfig;
  anthropic: FakeServer;
  openai: FakeServer;
  ollama: FakeOllama;
  interactions: Interaction[];
  logger: ReturnType<typeof memoryLogger>;
  clock: ReturnType<typeof fixedClock>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const [anthropic, openai, ollama] = await Promise.all([
    startFakeAnthropic(),
    startFakeOpenAI(),
    startFakeOllama({
      models: [{ name: 'qwen3-coder:30b', family: 'qwen3moe', contextLength: 262_144, capabilities: ['completion', 'tools'] }],
    }),
  ]);
  const config: GatewayConfig = {
    route: 'cloud',
    localModel: 'qwen3-coder:30b',
    anthropicUpstream: anthropic.url,
    openaiUpstream: openai.url,
    ollamaHost: ollama.url,
  };
  const interactions: Interaction[] = [];
  const logger = memoryLogger();
  const clock = fixedClock('2026-03-02T10:00:00Z');
  const gateway = createGateway({ config: () => config, onInteraction: (i) => void interactions.push(i), logger, clock, version: 'test' });
  const port = await gateway.listen(0);
  return {
    gateway,
    url: `http://127.0.0.1:${port}`,
    port,
    config,
    anthropic,
    openai,
    ollama,
    interactions,
    logger,
    clock,
    close: async () => {
      await gateway.close();
      await Promise.all([anthropic.close(), openai.close(), ollama.close()]);
    },
  };
}

export { freePort } from '../helpers/net';

/** A raw request (fetch may not set Host or some browser headers). */
export function rawRequest(
  port: number,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: opts.method ?? 'POST', path: opts.path, headers: opts.headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

export const anthropicHeaders = {
  'content-type': 'application/json',
  'anthropic-version': '2023-06-01',
  'x-api-key': 'sk-ant-test-key',
  'user-agent': 'claude-cli/2.0.14 (external, cli)',
  'x-claude-code-session-id': 'sess-1',
};
