import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { createGateway, hostGateway, type GatewayConfig, type HostState } from '../../src/core/gateway';
import { freePort } from './harness';
import { closedUrl } from '../helpers/net';

const config: GatewayConfig = {
  route: 'cloud',
  localModel: null,
  anthropicUpstream: '',
  openaiUpstream: '',
  ollamaHost: '',
};
before(async () => {
  config.anthropicUpstream = config.openaiUpstream = config.ollamaHost = await closedUrl();
});
const secret = randomBytes(32);
const gw = (version: string) => createGateway({ config: () => config, onInteraction: () => {}, version, secret });

function until(pred: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => (pred() ? resolve() : Date.now() > end ? reject(new Error('timed out')) : setTimeout(tick, 10));
    tick();
  });
}

test('the first instance owns the port; a second finds it by its health endpoint and follows; when the owner stops, the follower takes over', async () => {
  const port = await freePort();
  const a = hostGateway({ gateway: gw('a'), port, retryMs: 50, secret });
  assert.equal((await a.ready).role, 'owner');
  const changes: HostState[] = [];
  const b = hostGateway({ gateway: gw('b'), port, retryMs: 50, secret, onChange: (s) => changes.push(s) });
  const s = await b.ready;
  assert.equal(s.role, 'follower');
  assert.ok(s.role === 'follower' && s.owner.service === 'unmetered-gateway' && s.owner.version === 'a' && s.owner.pid === process.pid);

  await a.stop();
  await until(() => b.state().role === 'owner');
  const health = await (await fetch(`http://127.0.0.1:${port}/unmetered/health`)).json();
  assert.equal(health.version, 'b', 'the follower now serves the port');
  assert.deepEqual(
    changes.map((c) => c.role),
    ['follower', 'owner'],
  );
  await b.stop();
  assert.equal(b.state().role, 'stopped');
});

test('a port held by another program is reported as blocked, with what to do, and retried', async () => {
  const port = await freePort();
  const other = http.createServer((_req, res) => res.end('not unmetered'));
  await new Promise<void>((ok) => other.listen(port, '127.0.0.1', ok));
  const h = hostGateway({ gateway: gw('c'), port, retryMs: 50, secret });
  const s = await h.ready;
  assert.equal(s.role, 'blocked');
  assert.ok(
    s.role === 'blocked' && s.error.includes(`Port ${port} is used by another program`) && s.error.includes('unmetered.gateway.port'),
  );
  await new Promise<void>((ok) => other.close(() => ok()));
  await until(() => h.state().role === 'owner');
  await h.stop();
});
