// KWOK's pods run nothing. For the few programs whose work the lab checks (ExternalDNS writing
// Route53 records), the sandbox runs the real program on this machine while its Deployment has
// an available replica: the sandbox's pinned build (the version the lab's manifest names), with
// the container's arguments, the cluster's admin kubeconfig and the gateway as its AWS endpoint.
// It stops when the Deployment goes, its cluster stops or the cloud shuts down; it restarts when
// the arguments change, and after a crash with a back-off. A pod whose service account has an IRSA
// role runs with what EKS's pod identity webhook gives it (irsa.ts); any other with its node's
// instance metadata service, which gives it the node's role (node-role.ts); never with static keys.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { AppsV1Api, type KubeConfig, type V1Container, type V1Deployment } from '@kubernetes/client-node';
import { endpoints, logDir, sandboxRegion } from '../config.js';
import { toolPaths } from '../tools.js';
import { ProjectedToken, podIdentityEnv, serviceAccountRoleArn } from './irsa.js';
import { kwokKubeconfigPath, kwokName, podStateDir } from './kwok.js';
import { InstanceMetadata, nodeIdentity, type InstanceRoleCredentials } from './node-role.js';
import { ClusterWatcher } from './reconcile.js';

interface Program {
  name: string;
  /** The sandbox's build of the program. */
  pinned: string;
  runs(container: V1Container): boolean;
  /** The container's command line as this machine runs it. */
  args(container: V1Container, kubeconfig: string): string[];
}

const withoutFlags = (args: string[], flags: string[]): string[] =>
  args.filter((a) => !flags.some((f) => a === f || a.startsWith(`${f}=`)));

const programs: Program[] = [
  {
    name: 'external-dns',
    pinned: toolPaths.externalDns,
    runs: (c) => (c.image ?? '').includes('external-dns'),
    args: (c, kubeconfig) => [
      ...withoutFlags(c.args ?? [], ['--kubeconfig', '--metrics-address']),
      // In a pod it finds the API server in its environment; here it is given the admin kubeconfig.
      `--kubeconfig=${kubeconfig}`,
      // A pod has its own network namespace; here each instance needs its own loopback port.
      '--metrics-address=127.0.0.1:0',
    ],
  },
];

interface Instance {
  key: string;
  program: Program;
  binary: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Binary, arguments and environment: a change restarts the program, as a rollout restarts the pod. */
  signature: string;
  /** The IRSA token file the kubelet would project into the pod, kept fresh. */
  token?: ProjectedToken;
  child?: ChildProcess;
  exited?: Promise<void>;
  failures: number;
  restartAt: number;
}

interface ClusterEntry {
  kc: KubeConfig;
  kubeconfig: string;
  instances: Map<string, Instance>;
  /** The metadata service of each node (by instance id) a program without IRSA runs on. */
  metadata: Map<string, InstanceMetadata>;
}

export class PodRunner extends ClusterWatcher<ClusterEntry> {
  private readonly missingBinaries = new Set<string>();

  constructor(
    private readonly instanceRoleCredentials: InstanceRoleCredentials,
    log: (line: string) => void,
  ) {
    super('programs', 1_000, log);
  }

  watch(cluster: string, kc: KubeConfig): void {
    this.watchWith(cluster, {
      kc,
      kubeconfig: kwokKubeconfigPath(kwokName(cluster)),
      instances: new Map(),
      metadata: new Map(),
    });
  }

  /** Stops every program of the cluster; resolves once each has exited, before a later watch starts it again. */
  protected override async release(cluster: string, entry: ClusterEntry): Promise<void> {
    await Promise.all([...entry.instances.values()].map((i) => this.stop(cluster, i, 'its cluster is stopping')));
    for (const metadata of entry.metadata.values()) metadata.close();
  }

  protected async reconcile(cluster: string, entry: ClusterEntry): Promise<void> {
    const deployments = await entry.kc.makeApiClient(AppsV1Api).listDeploymentForAllNamespaces();
    const wanted = new Map<string, Instance>();
    for (const d of deployments.items) {
      if (d.metadata?.deletionTimestamp || (d.status?.availableReplicas ?? 0) < 1) continue;
      for (const container of d.spec?.template.spec?.containers ?? []) {
        const program = programs.find((p) => p.runs(container));
        if (!program) continue;
        const namespace = d.metadata!.namespace!;
        const key = `${namespace}/${d.metadata!.name}/${container.name}`;
        const args = program.args(container, entry.kubeconfig);
        const serviceAccount = d.spec?.template.spec?.serviceAccountName ?? 'default';
        const roleArn = await serviceAccountRoleArn(entry.kc, namespace, serviceAccount).catch(() => undefined);
        const tokenFile = join(podStateDir(kwokName(cluster)), 'irsa', `${namespace}.${serviceAccount}.token`);
        const token = roleArn ? new ProjectedToken(entry.kc, namespace, serviceAccount, tokenFile) : undefined;
        const env = programEnv(
          container,
          roleArn ? podIdentityEnv(roleArn, tokenFile) : await this.nodeCredentialsEnv(cluster, entry, d),
        );
        const binary = program.pinned;
        const signature = JSON.stringify([binary, args, env]);
        wanted.set(key, { key, program, binary, args, env, signature, token, failures: 0, restartAt: 0 });
      }
    }
    for (const [key, instance] of entry.instances) {
      const want = wanted.get(key);
      if (want?.signature === instance.signature) continue;
      await this.stop(cluster, instance, want ? 'its arguments changed' : 'its Deployment is gone or unavailable');
      entry.instances.delete(key);
    }
    for (const [key, want] of wanted) {
      const instance = entry.instances.get(key) ?? want;
      entry.instances.set(key, instance);
      await instance.token?.refresh();
      if (instance.child || Date.now() < instance.restartAt || !this.isWatched(cluster, entry)) continue;
      if (!existsSync(instance.binary)) {
        if (!this.missingBinaries.has(instance.binary))
          this.log(`${cluster}: ${key} waits for ${instance.binary} to be built`);
        this.missingBinaries.add(instance.binary);
        continue;
      }
      this.start(cluster, instance);
    }
  }

  /**
   * Without IRSA, the SDK's credential chain reaches the node's metadata service, which serves the
   * node's role; a pod on no node with a role gets no credentials at all (its calls fail).
   */
  private async nodeCredentialsEnv(
    cluster: string,
    entry: ClusterEntry,
    deployment: V1Deployment,
  ): Promise<Record<string, string>> {
    const identity = await nodeIdentity(entry.kc, cluster, deployment);
    if (!identity) return {};
    let metadata = entry.metadata.get(identity.instanceId);
    if (!metadata) {
      metadata = new InstanceMetadata(identity, this.instanceRoleCredentials, this.log);
      await metadata.listen();
      entry.metadata.set(identity.instanceId, metadata);
    }
    return { AWS_EC2_METADATA_SERVICE_ENDPOINT: metadata.endpoint };
  }

  private start(cluster: string, instance: Instance): void {
    mkdirSync(logDir, { recursive: true });
    const logFile = join(logDir, `${instance.program.name}-${cluster}.log`);
    const command = [instance.binary, ...instance.args].join(' ');
    appendFileSync(logFile, `${new Date().toISOString()} netlab: starting for ${instance.key}: ${command}\n`);
    const out = openSync(logFile, 'a');
    const child = spawn(instance.binary, instance.args, { env: instance.env, stdio: ['ignore', out, out] });
    closeSync(out);
    const started = Date.now();
    instance.child = child;
    instance.exited = new Promise((resolvePromise) => {
      const exited = (how: string): void => {
        if (instance.child !== child) return resolvePromise();
        instance.child = undefined;
        // A program that ran for a while had a good run: back off from scratch, as a kubelet does.
        if (Date.now() - started > 60_000) instance.failures = 0;
        const backoffMs = Math.min(60_000, 1_000 * 2 ** instance.failures++);
        instance.restartAt = Date.now() + backoffMs;
        this.log(`${cluster}: ${instance.program.name} for ${instance.key} ${how}; restarting in ${backoffMs / 1000}s`);
        resolvePromise();
      };
      child.once('exit', (code, signal) => exited(`exited with ${signal ?? code}`));
      child.once('error', (err) => exited(`failed to start: ${err.message}`));
    });
    this.log(`${cluster}: ${instance.binary} started for ${instance.key} (pid ${child.pid}, log ${logFile})`);
  }

  /** TERM, then KILL after a grace period; resolves once the process has exited. */
  private async stop(cluster: string, instance: Instance, why: string): Promise<void> {
    const { child, exited } = instance;
    if (!child || !exited) return;
    instance.child = undefined;
    this.log(`${cluster}: stopping ${instance.program.name} for ${instance.key} (pid ${child.pid}): ${why}`);
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const graceful = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 10_000))),
    ]);
    clearTimeout(timer);
    if (!graceful) {
      child.kill('SIGKILL');
      await exited;
    }
  }
}

/**
 * The container's literal environment, with the sandbox's AWS endpoint and the pod's credentials
 * (its IRSA identity, or its node's metadata service). The machine's own AWS configuration is
 * hidden, so a program here can only ever reach the sandbox.
 */
function programEnv(container: V1Container, credentials: Record<string, string>): NodeJS.ProcessEnv {
  const own = Object.fromEntries(
    (container.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]),
  );
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...own,
    AWS_REGION: own.AWS_REGION ?? own.AWS_DEFAULT_REGION ?? sandboxRegion,
    ...credentials,
    AWS_ENDPOINT_URL: endpoints.gateway,
    AWS_ENDPOINT_URL_ROUTE_53: endpoints.gateway,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    // Only a pod without IRSA reaches its node's metadata service for credentials.
    ...(credentials.AWS_EC2_METADATA_SERVICE_ENDPOINT ? {} : { AWS_EC2_METADATA_DISABLED: 'true' }),
  };
}
