// The NLB and ingress probes: each request is a connection of its own (a load balancer spreads
// connections, so keep-alive would send every request to one pod), and only a 2xx passes.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { firstSuccess, spreadOverPods } from '../../activities/probes.js';
import type { Target } from '../../activities/target.js';
import { sandboxTarget } from '../../worker/config.js';

/** An HTTP server that names the connection a request came on, as the echo server names its pod. */
async function server(status: () => number): Promise<{ target: Target; server: Server }> {
  let connections = 0;
  const s = createServer((req, res) => {
    const socket = req.socket as typeof req.socket & { n?: number };
    socket.n ??= ++connections;
    res.writeHead(status(), { 'content-type': 'text/plain' });
    res.end(`Hostname: conn-${socket.n}\n`);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  // An address needs no DNS: lookupThrough is only asked about names.
  const target: Target = {
    ...sandboxTarget(),
    dnsServer: undefined,
    loadBalancerHttp: () => `http://127.0.0.1:${port}`,
  };
  return { target, server: s };
}

const servers: Server[] = [];
after(() => servers.forEach((s) => s.close()));

test('every probe is a new connection, so the spread is over connections as a load balancer sees them', async () => {
  const { target, server: s } = await server(() => 200);
  servers.push(s);
  const perPod = await spreadOverPods(target, '127.0.0.1', 20);
  assert.equal(Object.keys(perPod).length, 20, JSON.stringify(perPod));
  assert.ok(Object.values(perPod).every((n) => n === 1));
});

test('a probe answered with a non-2xx status fails the check', async () => {
  let calls = 0;
  const { target, server: s } = await server(() => (++calls === 5 ? 503 : 200));
  servers.push(s);
  await assert.rejects(spreadOverPods(target, '127.0.0.1', 10), /request 5 of 10 .* answered HTTP 503/);
});

test('the ingress check waits for a 2xx and does not take a 404 for an answer', async () => {
  let calls = 0;
  const { target, server: s } = await server(() => (++calls < 3 ? 404 : 200));
  servers.push(s);
  const answer = await firstSuccess(target, '127.0.0.1', 30_000);
  assert.equal(answer.status, 200);
  assert.equal(calls, 3);
  const { target: never, server: s2 } = await server(() => 500);
  servers.push(s2);
  await assert.rejects(firstSuccess(never, '127.0.0.1', 3_000), /timed out .* a 2xx answer/);
});
