// The ExternalDNS program the sandbox runs for a cluster's Deployment: its processes, the
// environment it runs with (its credentials), its log, and a Service for it to publish.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { kwokKubeconfigPath, kwokName } from '../../sandbox/cloud/kwok.js';
import { logDir } from '../../sandbox/config.js';
import { eventually } from './sandbox.js';

/** The pids of ExternalDNS processes the sandbox runs against the cluster. */
export async function externalDnsPids(cluster: string): Promise<string[]> {
  const pattern = `external-dns.*--kubeconfig=${kwokKubeconfigPath(kwokName(cluster))}`;
  try {
    const { stdout } = await promisify(execFile)('pgrep', ['-f', pattern]);
    return stdout.split('\n').filter(Boolean);
  } catch (err) {
    if ((err as { code?: number }).code === 1) return []; // pgrep: nothing matched
    throw err;
  }
}

/** The environment of the ExternalDNS process the sandbox runs for the cluster, once there is one. */
export async function externalDnsEnv(cluster: string): Promise<Record<string, string> | undefined> {
  const [pid] = await externalDnsPids(cluster);
  if (!pid) return undefined;
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return Object.fromEntries(environ.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

export const externalDnsLog = (cluster: string): string => {
  const file = join(logDir, `external-dns-${cluster}.log`);
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
};

/** The first line of the cluster's ExternalDNS log that `matches`, once there is one. */
export const externalDnsLogLine = (cluster: string, matches: (line: string) => boolean): Promise<string> =>
  eventually('the line in the ExternalDNS log', async () => externalDnsLog(cluster).split('\n').find(matches), 90_000);

/**
 * A LoadBalancer Service `default/tetris` that asks ExternalDNS for `hostname`, with the address a
 * load balancer controller would write in its status (no controller acts on it: no NLB class).
 */
export async function serviceWithAddress(kc: KubeConfig, cluster: string, hostname: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const created = await core.createNamespacedService({
    namespace: 'default',
    body: {
      metadata: { name: 'tetris', annotations: { 'external-dns.alpha.kubernetes.io/hostname': hostname } },
      spec: { type: 'LoadBalancer', selector: { app: 'tetris' }, ports: [{ port: 80, targetPort: 80 }] },
    },
  });
  created.status = { loadBalancer: { ingress: [{ hostname: `lb-${cluster}.example.net` }] } };
  await core.replaceNamespacedServiceStatus({ name: 'tetris', namespace: 'default', body: created });
}
