// How a sandbox API server reaches its kubelets (exec, logs, port-forward): through this proxy,
// as managed control planes reach their nodes through a konnectivity proxy. A sandbox node has
// a VPC address that leads nowhere from here, and every kubelet of a cluster is its KWOK
// controller on loopback. The API server's egress selector sends its "cluster" traffic here as
// HTTP CONNECT over a unix socket; the proxy forwards a CONNECT for the kubelet port to the
// KWOK controller and refuses every other one, so the API server never dials a node, pod or
// service address (nor asks a DNS server for a node's name).
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';

interface Proxy {
  server: Server;
  tunnels: Set<Socket>;
}

const proxies = new Map<string, Proxy>();

/** The egress selector configuration that sends the API server's cluster traffic to `socketPath`. */
export function egressSelectorConfig(socketPath: string): string {
  return [
    'apiVersion: apiserver.k8s.io/v1beta1',
    'kind: EgressSelectorConfiguration',
    'egressSelections:',
    '- name: cluster',
    '  connection:',
    '    proxyProtocol: HTTPConnect',
    '    transport:',
    `      uds: {udsName: ${JSON.stringify(socketPath)}}`,
  ].join('\n');
}

/** Serves the cluster's kubelet proxy on `socketPath`; `kubeletPort` is its KWOK controller's port. */
export async function serveKubelets(
  cluster: string,
  socketPath: string,
  kubeletPort: number,
  log: (line: string) => void,
): Promise<void> {
  closeKubelets(cluster);
  rmSync(socketPath, { force: true });
  const proxy: Proxy = { server: createServer((_req, res) => res.writeHead(405).end()), tunnels: new Set() };
  proxy.server.on('connect', (req, client: Socket, head: Buffer) => {
    const target = req.url ?? '';
    const port = Number(target.slice(target.lastIndexOf(':') + 1));
    if (port !== kubeletPort) {
      log(`${cluster}: API server traffic to ${target} refused: only kubelets are reachable in the sandbox`);
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    let established = false;
    const upstream = connect({ host: '127.0.0.1', port: kubeletPort }, () => {
      established = true;
      client.write('HTTP/1.1 200 Connection established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    proxy.tunnels.add(client);
    const close = (): void => {
      proxy.tunnels.delete(client);
      upstream.destroy();
      client.destroy();
    };
    upstream.on('error', (err) => {
      // Once the tunnel stands, an error is one end going away: only a failed connect is news.
      if (!established) {
        log(`${cluster}: kubelet ${target}: ${err.message}`);
        client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      }
      close();
    });
    upstream.on('close', close);
    client.on('error', close);
    client.on('close', close);
  });
  await new Promise<void>((resolvePromise, reject) => {
    proxy.server.once('error', reject);
    proxy.server.listen(socketPath, resolvePromise);
  });
  proxies.set(cluster, proxy);
}

/** Stops the cluster's kubelet proxy and cuts its open tunnels (exec sessions). */
export function closeKubelets(cluster: string): void {
  const proxy = proxies.get(cluster);
  if (!proxy) return;
  proxies.delete(cluster);
  proxy.server.close();
  for (const tunnel of proxy.tunnels) tunnel.destroy();
}
