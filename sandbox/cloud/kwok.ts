// One real Kubernetes control plane per EKS cluster, run by kwokctl's binary runtime from the
// locally built binaries (so nothing is downloaded), with KWOK faking the nodes and pods.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { KeepAliveKubeConfig } from '../../activities/kube-agent.js';
import { kwokWorkdir, projectRoot, stateDir, versions } from '../config.js';
import { run, toolPaths } from '../tools.js';
import { closeKubelets, egressSelectorConfig, serveKubelets } from './kubelets.js';
import { kwokStages } from './kwok-stages.js';
import type { LatencyProfile } from './latency.js';
import { ClusterWatcher } from './reconcile.js';

/** Ports free on 127.0.0.1 now, each held until all are found so none is handed out twice. */
async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((ok, fail) => {
          const server = createServer();
          server.once('error', fail);
          server.listen(0, '127.0.0.1', () => ok(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((ok) => server.close(ok))));
  return ports;
}

/** kwokctl cluster names are DNS labels; EKS names allow more, so derive a safe one. */
export function kwokName(eksCluster: string): string {
  return eksCluster
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 50);
}

export const kwokEnv = {
  KWOK_WORKDIR: kwokWorkdir,
  KWOK_RUNTIME: 'binary',
  KWOK_KUBE_VERSION: versions.kubernetes,
  KWOK_KUBE_APISERVER_BINARY: toolPaths.kubeApiserver,
  KWOK_KUBE_CONTROLLER_MANAGER_BINARY: toolPaths.kubeControllerManager,
  KWOK_KUBE_SCHEDULER_BINARY: toolPaths.kubeScheduler,
  KWOK_CONTROLLER_BINARY: toolPaths.kwok,
  KWOK_ETCD_BINARY: toolPaths.etcd,
};

export const clusterDir = (name: string): string => join(kwokWorkdir, 'clusters', name);

/**
 * What the sandbox keeps on this machine for the cluster's pods, for the commands exec'ed in them
 * to read: the iperf3 shim finds here the loopback port of the iperf3 server of each pod IP.
 */
export const podStateDir = (name: string): string => join(stateDir, 'pods', name);

/** The port the cluster's kubelets answer on: its KWOK controller's, as kwokctl chose it. */
function kubeletPort(name: string): number {
  for (const doc of parseAllDocuments(readFileSync(join(clusterDir(name), 'kwok.yaml'), 'utf8'))) {
    const config = doc.toJS() as { kind?: string; options?: { kwokControllerPort?: number } } | null;
    if (config?.kind === 'KwokctlConfiguration' && config.options?.kwokControllerPort)
      return config.options.kwokControllerPort;
  }
  throw new Error(`kwok cluster ${name} has no kwok-controller port in its kwok.yaml`);
}

export function kwokClusters(): string[] {
  const dir = join(kwokWorkdir, 'clusters');
  return existsSync(dir) ? readdirSync(dir) : [];
}

/**
 * Starts the control plane. Its API server accepts EKS bearer tokens through a token-review
 * webhook at `tokenReviewUrl`, so clients reach it the way they reach EKS, and signs service
 * account tokens as `serviceAccountIssuer` (the EKS cluster's OIDC issuer, as on EKS) when given.
 */
export async function createKwokCluster(
  name: string,
  opts: {
    tokenReviewUrl: string;
    log: (line: string) => void;
    /** The latency profile the cluster is made under: it keeps its pod start time. */
    profile: LatencyProfile;
    serviceAccountIssuer?: string;
  },
): Promise<void> {
  const { tokenReviewUrl, log, serviceAccountIssuer } = opts;
  const configDir = join(kwokWorkdir, 'config');
  mkdirSync(configDir, { recursive: true });
  const webhookConfig = join(configDir, `${name}-token-webhook.yaml`);
  writeFileSync(
    webhookConfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: gateway, cluster: {server: "' + tokenReviewUrl + '"}}]',
      'users: [{name: apiserver, user: {}}]',
      'contexts: [{name: webhook, context: {cluster: gateway, user: apiserver}}]',
      'current-context: webhook',
    ].join('\n'),
  );
  const kubeletSocket = join(configDir, `${name}-kubelets.sock`);
  const egressConfig = join(configDir, `${name}-egress.yaml`);
  writeFileSync(egressConfig, egressSelectorConfig(kubeletSocket));
  mkdirSync(podStateDir(name), { recursive: true });
  const kwokctlConfig = join(configDir, `${name}.yaml`);
  // kwokctl binds every component to 0.0.0.0 on ports it probes for; two clusters made at once
  // can probe the same port. Ports chosen here on loopback, and loopback binds, avoid both.
  const [apiserver, etcd, etcdPeer, controllerManager, scheduler, kwokController] = await freeLoopbackPorts(6);
  const arg = (key: string, value: string | number): string[] => [
    `  - key: ${key}`,
    `    value: ${JSON.stringify(String(value))}`,
  ];
  writeFileSync(
    kwokctlConfig,
    [
      'apiVersion: config.kwok.x-k8s.io/v1alpha1',
      'kind: KwokctlConfiguration',
      'options:',
      `  kubeApiserverPort: ${apiserver}`,
      `  etcdPort: ${etcd}`,
      `  etcdPeerPort: ${etcdPeer}`,
      `  kubeControllerManagerPort: ${controllerManager}`,
      `  kubeSchedulerPort: ${scheduler}`,
      `  kwokControllerPort: ${kwokController}`,
      'componentsPatches:',
      '- name: etcd',
      '  extraArgs:',
      ...arg('listen-client-urls', `http://127.0.0.1:${etcd}`),
      ...arg('advertise-client-urls', `http://127.0.0.1:${etcd}`),
      ...arg('listen-peer-urls', `http://127.0.0.1:${etcdPeer}`),
      ...arg('initial-advertise-peer-urls', `http://127.0.0.1:${etcdPeer}`),
      ...arg('initial-cluster', `node0=http://127.0.0.1:${etcdPeer}`),
      '- name: kube-controller-manager',
      '  extraArgs:',
      ...arg('bind-address', '127.0.0.1'),
      '- name: kube-scheduler',
      '  extraArgs:',
      ...arg('bind-address', '127.0.0.1'),
      '- name: kube-apiserver',
      '  extraArgs:',
      ...arg('bind-address', '127.0.0.1'),
      '  - key: authentication-token-webhook-config-file',
      `    value: ${webhookConfig}`,
      '  - key: authentication-token-webhook-version',
      '    value: v1',
      '  - key: egress-selector-config-file',
      `    value: ${egressConfig}`,
      ...(serviceAccountIssuer ? [...arg('service-account-issuer', serviceAccountIssuer), '    override: true'] : []),
      // KWOK runs an exec'ed command on this machine, found through its own PATH: the shims
      // folder comes first, so `iperf3` is the shim that keeps its traffic on loopback.
      '- name: kwok-controller',
      '  extraArgs:',
      ...arg('server-address', `127.0.0.1:${kwokController}`),
      '  extraEnvs:',
      '  - name: PATH',
      `    value: ${JSON.stringify(`${join(projectRoot, 'sandbox', 'shims')}:${process.env.PATH ?? '/usr/bin:/bin'}`)}`,
      '  - name: NETLAB_POD_STATE',
      `    value: ${JSON.stringify(podStateDir(name))}`,
      // Exec is served for containers named iperf3 only: whatever else a pod's container was
      // asked to run would run here, with this machine's network.
      '---',
      'apiVersion: kwok.x-k8s.io/v1alpha1',
      'kind: ClusterExec',
      'metadata: {name: iperf3}',
      'spec:',
      '  execs:',
      '  - containers: [iperf3]',
      '    local: {}',
      ...kwokStages(opts.profile),
    ].join('\n'),
  );
  await run(toolPaths.kwokctl, ['create', 'cluster', '--name', name, '--config', kwokctlConfig, '--wait', '2m'], log, {
    env: kwokEnv,
  });
  await serveKubelets(name, kubeletSocket, kubeletPort(name), log);
  supervisor.watch(name, log);
}

/** A process that exited, or exited and waits to be reaped (a zombie), is not running. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** The cluster's components that are not running, by the pid files kwokctl's binary runtime keeps. */
export function exitedComponents(name: string): string[] {
  const pids = join(clusterDir(name), 'pids');
  if (!existsSync(pids)) return [];
  return readdirSync(pids)
    .filter((file) => file.endsWith('.pid'))
    .filter((file) => !isRunning(Number(readFileSync(join(pids, file), 'utf8'))))
    .map((file) => file.slice(0, -'.pid'.length));
}

/**
 * EKS runs the control plane supervised: a component that exits is started again. kwokctl's
 * binary runtime does not, and kube-controller-manager and kube-scheduler exit on their own when
 * they lose their leader lease (after an API server restart) or find no healthy API server within
 * 10 s of starting (a loaded machine): without them no Deployment gets pods. So every 2 s the
 * sandbox starts what exited, with `kwokctl start cluster`, which starts what has no running pid.
 */
class ControlPlaneSupervisor extends ClusterWatcher<{ log: (line: string) => void }> {
  constructor() {
    // A failed restart is logged once, until it changes or a restart succeeds.
    super('control plane restart', 2000, console.log);
  }

  watch(name: string, log: (line: string) => void): void {
    this.watchWith(name, { log });
  }

  protected async reconcile(name: string, { log }: { log: (line: string) => void }): Promise<void> {
    const exited = exitedComponents(name);
    if (!exited.length) return;
    log(`control plane ${name}: ${exited.join(', ')} exited; starting again`);
    // An exited component stays a zombie until PID 1 reaps it, and kwokctl, seeing its pid
    // answer signal 0, would take it for running: its stale pid file goes first.
    for (const component of exited) rmSync(join(clusterDir(name), 'pids', `${component}.pid`), { force: true });
    // kwokctl then waits up to 2 minutes for the API server to answer; a component that exits
    // meanwhile (the API server itself, shutting down) must not wait that long to be noticed.
    await run(toolPaths.kwokctl, ['start', 'cluster', '--name', name, '--timeout', '10s'], log, { env: kwokEnv });
  }
}

const supervisor = new ControlPlaneSupervisor();

export async function deleteKwokCluster(name: string, log: (line: string) => void): Promise<void> {
  // After any restart in flight, so a deleted cluster is not started again.
  await supervisor.unwatch(name);
  closeKubelets(name);
  rmSync(podStateDir(name), { recursive: true, force: true });
  if (!existsSync(clusterDir(name))) return;
  await run(toolPaths.kwokctl, ['delete', 'cluster', '--name', name], log, { env: kwokEnv });
}

/** The admin kubeconfig kwokctl wrote for the cluster. */
export function kwokKubeConfig(name: string): KubeConfig {
  const kc = new KeepAliveKubeConfig();
  kc.loadFromFile(join(clusterDir(name), 'kubeconfig.yaml'));
  return kc;
}

export function kwokKubeconfigPath(name: string): string {
  return join(clusterDir(name), 'kubeconfig.yaml');
}

/** The API server's URL and CA, as EKS DescribeCluster reports them. */
export function kwokEndpoint(name: string): { endpoint: string; caData: string } {
  const cluster = kwokKubeConfig(name).getCurrentCluster();
  if (!cluster) throw new Error(`kwok cluster ${name} has no cluster in its kubeconfig`);
  const caData = cluster.caData ?? (cluster.caFile ? readFileSync(cluster.caFile).toString('base64') : '');
  return { endpoint: cluster.server, caData };
}
