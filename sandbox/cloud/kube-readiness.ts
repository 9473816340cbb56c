// When each cluster's nodes became Ready and its workloads ready, to the millisecond, for the
// transitions record (transitions.ts). The API server keeps a condition's time in whole seconds
// (metav1.Time), and KWOK's stages write `Now` into it the same way, so neither is precise
// enough to measure sub-second lag. A watch per cluster, opened when its control plane runs, sees
// each change within milliseconds of the API server storing it: the time it sees the change is
// the time recorded. A watch that drops is opened again after a second; a change made while it
// was down is recorded when it is seen again (late, never early).
import { Watch, type KubeConfig, type V1DaemonSet, type V1Deployment, type V1Node } from '@kubernetes/client-node';
import { recordTransition } from './transitions.js';

type Watched = V1Node | V1DaemonSet | V1Deployment;

const reopenAfterMs = 1_000;

const nodeReady = (n: V1Node): boolean =>
  n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const daemonSetReady = (d: V1DaemonSet): boolean =>
  (d.status?.desiredNumberScheduled ?? 0) > 0 && (d.status?.numberReady ?? 0) >= d.status!.desiredNumberScheduled!;
const deploymentReady = (d: V1Deployment): boolean =>
  (d.spec?.replicas ?? 1) > 0 && (d.status?.readyReplicas ?? 0) >= (d.spec?.replicas ?? 1);

const sources: { path: string; kind: string; ready: (o: Watched) => boolean }[] = [
  { path: '/api/v1/nodes', kind: 'node', ready: (o) => nodeReady(o as V1Node) },
  { path: '/apis/apps/v1/daemonsets', kind: 'daemonset', ready: (o) => daemonSetReady(o as V1DaemonSet) },
  { path: '/apis/apps/v1/deployments', kind: 'deployment', ready: (o) => deploymentReady(o as V1Deployment) },
];

interface ClusterWatches {
  stopped: boolean;
  aborts: AbortController[];
  /** `<kind> <namespace/name>` → whether it was ready when last seen. */
  ready: Map<string, boolean>;
}

export class KubeReadiness {
  private readonly clusters = new Map<string, ClusterWatches>();

  constructor(private readonly log: (line: string) => void) {}

  watch(cluster: string, kc: KubeConfig): void {
    this.unwatch(cluster);
    const watches: ClusterWatches = { stopped: false, aborts: [], ready: new Map() };
    this.clusters.set(cluster, watches);
    for (const source of sources) void this.open(cluster, kc, watches, source);
  }

  unwatch(cluster: string): void {
    const watches = this.clusters.get(cluster);
    if (!watches) return;
    this.clusters.delete(cluster);
    watches.stopped = true;
    for (const abort of watches.aborts) abort.abort();
  }

  stopAll(): void {
    for (const cluster of [...this.clusters.keys()]) this.unwatch(cluster);
  }

  private async open(
    cluster: string,
    kc: KubeConfig,
    watches: ClusterWatches,
    source: (typeof sources)[number],
  ): Promise<void> {
    const reopen = (err?: unknown): void => {
      if (watches.stopped) return;
      if (err) this.log(`readiness watch ${source.path} of ${cluster}: ${(err as Error).message ?? String(err)}`);
      setTimeout(() => void this.open(cluster, kc, watches, source), reopenAfterMs);
    };
    try {
      const abort = await new Watch(kc).watch(
        source.path,
        {},
        (phase: string, object: Watched) => {
          const meta = object.metadata;
          const key = `${source.kind} ${meta?.namespace ? `${meta.namespace}/` : ''}${meta?.name ?? ''}`;
          if (phase === 'DELETED') return void watches.ready.delete(key);
          const ready = source.ready(object);
          if (ready && !watches.ready.get(key))
            recordTransition(source.kind, `${cluster}/${key.slice(source.kind.length + 1)}`, 'Ready');
          watches.ready.set(key, ready);
        },
        reopen,
      );
      if (watches.stopped) abort.abort();
      else watches.aborts.push(abort);
    } catch (err) {
      reopen(err);
    }
  }
}
