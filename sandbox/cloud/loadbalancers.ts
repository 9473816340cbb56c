// What the AWS Load Balancer Controller and the ELB data plane do, emulated: for each NLB-class
// Service and ALB-class Ingress in a cluster that has the controller installed, a load balancer,
// target group and listener in moto whose ip targets follow the ready endpoints; the address in
// the object's status; and a loopback HTTP front that answers for the load balancer's hostname
// from one ready backend pod after another.
import { createServer, type Server } from 'node:http';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  RegisterTargetsCommand,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  AppsV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  NetworkingV1Api,
  type KubeConfig,
  type V1ObjectMeta,
} from '@kubernetes/client-node';
import { moto } from './aws.js';
import type { LatencyProfile } from './latency.js';

export const nlbClass = 'service.k8s.aws/nlb';
const serviceFinalizer = 'service.k8s.aws/resources';
const ingressFinalizer = 'ingress.k8s.aws/resources';
const tagsAnnotation = 'service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags';
const albTagsAnnotation = 'alb.ingress.kubernetes.io/tags';

interface Backend {
  pod: string;
  ip: string;
}

interface Frontend {
  kind: 'nlb' | 'alb';
  cluster: string;
  object: string;
  backends: Backend[];
  next: number;
  /** Requests answered per pod, for the sandbox's own status. */
  served: Map<string, number>;
}

interface ClusterWatch {
  kc: KubeConfig;
  vpcId?: string;
  subnetIds: string[];
  timer: NodeJS.Timeout;
  busy: boolean;
}

/** A load balancer's name: at most 32 characters, unique per object, stable across retries. */
function lbName(cluster: string, namespace: string, name: string): string {
  let h = 0;
  for (const c of `${cluster}/${namespace}/${name}`) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  // ELB names allow letters, digits and single dashes, as the controller's k8s-<ns>-<name>-<hash>.
  const part = (s: string): string =>
    s
      .slice(0, 8)
      .replace(/[^a-zA-Z0-9]+/g, '-')
      .replace(/^-|-$/g, '');
  return `k8s-${part(namespace)}-${part(name)}-${h.toString(16).padStart(8, '0')}`;
}

/** `key1=v1,key2=v2` as the controller's tag annotations spell them. */
function parseTags(value: string | undefined): { Key: string; Value: string }[] {
  if (!value) return [];
  return value.split(',').map((kv) => {
    const [Key, ...rest] = kv.split('=');
    return { Key: Key!.trim(), Value: rest.join('=').trim() };
  });
}

export class LoadBalancerEmulator {
  private readonly clusters = new Map<string, ClusterWatch>();
  /** Load balancer hostname (lower case) → what answers for it. */
  readonly frontends = new Map<string, Frontend>();

  constructor(
    private readonly profile: () => LatencyProfile,
    private readonly log: (line: string) => void,
  ) {}

  watch(cluster: string, kc: KubeConfig, vpcConfig: { subnetIds?: string[]; vpcId?: string }): void {
    this.unwatch(cluster);
    const entry: ClusterWatch = {
      kc,
      vpcId: vpcConfig.vpcId,
      subnetIds: vpcConfig.subnetIds ?? [],
      busy: false,
      timer: setInterval(() => {
        if (entry.busy) return;
        entry.busy = true;
        this.reconcile(cluster, entry)
          .catch((err: Error) => this.log(`load balancers of ${cluster}: ${err.message}`))
          .finally(() => (entry.busy = false));
      }, 500),
    };
    this.clusters.set(cluster, entry);
  }

  /** Stops acting for a cluster. Its load balancers stay in moto: on AWS too they outlive a deleted cluster. */
  unwatch(cluster: string): void {
    const entry = this.clusters.get(cluster);
    if (entry) clearInterval(entry.timer);
    this.clusters.delete(cluster);
    for (const [host, f] of this.frontends) if (f.cluster === cluster) this.frontends.delete(host);
  }

  stopAll(): void {
    for (const name of [...this.clusters.keys()]) this.unwatch(name);
  }

  private async controllerInstalled(kc: KubeConfig): Promise<boolean> {
    const deployments = await kc
      .makeApiClient(AppsV1Api)
      .listDeploymentForAllNamespaces({ labelSelector: 'app.kubernetes.io/name=aws-load-balancer-controller' });
    return deployments.items.some((d) => (d.status?.availableReplicas ?? 0) > 0);
  }

  private async reconcile(cluster: string, entry: ClusterWatch): Promise<void> {
    const { kc } = entry;
    const core = kc.makeApiClient(CoreV1Api);
    const net = kc.makeApiClient(NetworkingV1Api);
    if (!(await this.controllerInstalled(kc))) return;
    const services = (await core.listServiceForAllNamespaces()).items.filter(
      (s) => s.spec?.type === 'LoadBalancer' && s.spec.loadBalancerClass === nlbClass,
    );
    for (const svc of services) {
      const meta = svc.metadata!;
      const port = svc.spec?.ports?.[0];
      await this.reconcileObject(cluster, entry, {
        kind: 'nlb',
        meta,
        finalizer: serviceFinalizer,
        tags: parseTags(meta.annotations?.[tagsAnnotation]),
        scheme: meta.annotations?.['service.beta.kubernetes.io/aws-load-balancer-scheme'] ?? 'internal',
        port: port?.port ?? 80,
        backendService: meta.name!,
        backendPort: typeof port?.targetPort === 'number' ? port.targetPort : (port?.port ?? 80),
        setFinalizers: (finalizers) =>
          core.patchNamespacedService({
            name: meta.name!,
            namespace: meta.namespace!,
            body: [{ op: 'replace', path: '/metadata/finalizers', value: finalizers }],
          }),
        setHostname: (hostname) =>
          core.patchNamespacedServiceStatus({
            name: meta.name!,
            namespace: meta.namespace!,
            body: [{ op: 'replace', path: '/status/loadBalancer', value: { ingress: [{ hostname }] } }],
          }),
        currentHostname: svc.status?.loadBalancer?.ingress?.[0]?.hostname,
      });
    }
    const ingresses = (await net.listIngressForAllNamespaces()).items.filter(
      (i) => i.spec?.ingressClassName === 'alb' || i.metadata?.annotations?.['kubernetes.io/ingress.class'] === 'alb',
    );
    for (const ing of ingresses) {
      const meta = ing.metadata!;
      const backend = ing.spec?.rules?.[0]?.http?.paths?.[0]?.backend?.service ?? ing.spec?.defaultBackend?.service;
      await this.reconcileObject(cluster, entry, {
        kind: 'alb',
        meta,
        finalizer: ingressFinalizer,
        tags: parseTags(meta.annotations?.[albTagsAnnotation]),
        scheme: meta.annotations?.['alb.ingress.kubernetes.io/scheme'] ?? 'internal',
        port: 80,
        backendService: backend?.name ?? '',
        backendPort: backend?.port?.number ?? 80,
        setFinalizers: (finalizers) =>
          net.patchNamespacedIngress({
            name: meta.name!,
            namespace: meta.namespace!,
            body: [{ op: 'replace', path: '/metadata/finalizers', value: finalizers }],
          }),
        setHostname: (hostname) =>
          net.patchNamespacedIngressStatus({
            name: meta.name!,
            namespace: meta.namespace!,
            body: [{ op: 'replace', path: '/status/loadBalancer', value: { ingress: [{ hostname }] } }],
          }),
        currentHostname: ing.status?.loadBalancer?.ingress?.[0]?.hostname,
      });
    }
  }

  private async reconcileObject(
    cluster: string,
    entry: ClusterWatch,
    o: {
      kind: 'nlb' | 'alb';
      meta: V1ObjectMeta;
      finalizer: string;
      tags: { Key: string; Value: string }[];
      scheme: string;
      port: number;
      backendService: string;
      backendPort: number;
      setFinalizers: (f: string[]) => Promise<unknown>;
      setHostname: (h: string) => Promise<unknown>;
      currentHostname?: string;
    },
  ): Promise<void> {
    const namespace = o.meta.namespace!;
    const name = lbName(cluster, namespace, o.meta.name!);
    const finalizers = o.meta.finalizers ?? [];
    if (o.meta.deletionTimestamp) {
      await this.deleteLoadBalancer(name);
      if (o.currentHostname) this.frontends.delete(o.currentHostname.toLowerCase());
      if (finalizers.includes(o.finalizer)) await o.setFinalizers(finalizers.filter((f) => f !== o.finalizer));
      this.log(`${cluster}: ${o.kind} ${name} for ${namespace}/${o.meta.name} deleted`);
      return;
    }
    if (!finalizers.includes(o.finalizer)) await o.setFinalizers([...finalizers, o.finalizer]);
    const lb = await this.ensureLoadBalancer(entry, name, o);
    const backends = await this.readyBackends(entry.kc, namespace, o.backendService);
    await this.syncTargets(lb.targetGroupArn, backends, o.backendPort);
    const hostname = lb.dnsName.toLowerCase();
    const existing = this.frontends.get(hostname);
    if (existing) existing.backends = backends;
    else
      this.frontends.set(hostname, {
        kind: o.kind,
        cluster,
        object: `${namespace}/${o.meta.name}`,
        backends,
        next: 0,
        served: new Map(),
      });
    if (!o.currentHostname && Date.now() - lb.createdAt >= this.profile().loadBalancerProvisionMs) {
      await o.setHostname(lb.dnsName);
      this.log(`${cluster}: ${o.kind} ${name} active for ${namespace}/${o.meta.name} at ${lb.dnsName}`);
    }
  }

  private async ensureLoadBalancer(
    entry: ClusterWatch,
    name: string,
    o: {
      kind: 'nlb' | 'alb';
      tags: { Key: string; Value: string }[];
      scheme: string;
      port: number;
      meta: V1ObjectMeta;
    },
  ): Promise<{ dnsName: string; targetGroupArn: string; createdAt: number }> {
    const found = await moto.elbv2.send(new DescribeLoadBalancersCommand({ Names: [name] })).catch(() => undefined);
    let lb = found?.LoadBalancers?.[0];
    const tags = [
      ...o.tags,
      { Key: 'elbv2.k8s.aws/cluster', Value: [...this.clusters.entries()].find(([, e]) => e === entry)?.[0] ?? '' },
      {
        Key: o.kind === 'nlb' ? 'service.k8s.aws/stack' : 'ingress.k8s.aws/stack',
        Value: `${o.meta.namespace}/${o.meta.name}`,
      },
    ];
    if (!lb) {
      const created = await moto.elbv2.send(
        new CreateLoadBalancerCommand({
          Name: name,
          Type: o.kind === 'nlb' ? 'network' : 'application',
          Scheme: o.scheme === 'internet-facing' ? 'internet-facing' : 'internal',
          Subnets: entry.subnetIds,
          Tags: tags,
        }),
      );
      lb = created.LoadBalancers![0]!;
    }
    let tg = await this.targetGroup(name);
    if (!tg) {
      tg = (
        await moto.elbv2.send(
          new CreateTargetGroupCommand({
            Name: name,
            Protocol: o.kind === 'nlb' ? 'TCP' : 'HTTP',
            Port: o.port,
            TargetType: 'ip',
            VpcId: lb.VpcId ?? entry.vpcId,
            Tags: tags,
          }),
        )
      ).TargetGroups![0]!;
      await moto.elbv2.send(
        new CreateListenerCommand({
          LoadBalancerArn: lb.LoadBalancerArn,
          Protocol: o.kind === 'nlb' ? 'TCP' : 'HTTP',
          Port: o.port,
          DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn }],
        }),
      );
    }
    return {
      dnsName: lb.DNSName!,
      targetGroupArn: tg.TargetGroupArn!,
      createdAt: lb.CreatedTime?.getTime() ?? Date.now(),
    };
  }

  private async readyBackends(kc: KubeConfig, namespace: string, service: string): Promise<Backend[]> {
    if (!service) return [];
    const slices = await kc
      .makeApiClient(DiscoveryV1Api)
      .listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${service}` });
    return slices.items
      .flatMap((s) => s.endpoints ?? [])
      .filter((e) => e.conditions?.ready !== false)
      .map((e) => ({ pod: e.targetRef?.name ?? e.addresses[0]!, ip: e.addresses[0]! }))
      .sort((a, b) => a.pod.localeCompare(b.pod));
  }

  private async syncTargets(targetGroupArn: string, backends: Backend[], port: number): Promise<void> {
    const health = await moto.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
    const current = new Set((health.TargetHealthDescriptions ?? []).map((t) => t.Target!.Id!));
    const wanted = new Set(backends.map((b) => b.ip));
    const add = [...wanted].filter((ip) => !current.has(ip));
    const remove = [...current].filter((ip) => !wanted.has(ip));
    if (add.length)
      await moto.elbv2.send(
        new RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: add.map((Id) => ({ Id, Port: port })) }),
      );
    if (remove.length)
      await moto.elbv2.send(
        new DeregisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: remove.map((Id) => ({ Id })) }),
      );
  }

  /** The target group named like its load balancer; ELBv2 answers "not found" with an error. */
  private async targetGroup(name: string): Promise<TargetGroup | undefined> {
    const found = await moto.elbv2.send(new DescribeTargetGroupsCommand({ Names: [name] })).catch(() => undefined);
    return found?.TargetGroups?.[0];
  }

  private async deleteLoadBalancer(name: string): Promise<void> {
    const found = await moto.elbv2.send(new DescribeLoadBalancersCommand({ Names: [name] })).catch(() => undefined);
    const lb = found?.LoadBalancers?.[0];
    if (lb) await moto.elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
    const tg = await this.targetGroup(name);
    if (tg) await moto.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: tg.TargetGroupArn }));
  }

  /** The data plane: one HTTP front on loopback for every load balancer, routed by Host. */
  serveFront(port: number, host: string): Server {
    const server = createServer((req, res) => {
      const hostname = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
      const front = this.frontends.get(hostname);
      if (!front) {
        res.writeHead(502, { 'content-type': 'text/plain' }).end(`no load balancer answers for ${hostname}\n`);
        return;
      }
      if (front.backends.length === 0) {
        res.writeHead(503, { 'content-type': 'text/plain' }).end(`no healthy targets behind ${hostname}\n`);
        return;
      }
      const backend = front.backends[front.next++ % front.backends.length]!;
      front.served.set(backend.pod, (front.served.get(backend.pod) ?? 0) + 1);
      const headers = { 'x-netlab-pod': backend.pod, 'x-netlab-pod-ip': backend.ip };
      if (front.kind === 'alb') {
        res.writeHead(200, { ...headers, 'content-type': 'text/html' });
        res.end(`<!doctype html><title>2048</title><p>served by ${backend.pod} (${backend.ip})</p>\n`);
      } else {
        res.writeHead(200, { ...headers, 'content-type': 'text/plain' });
        res.end(`Hostname: ${backend.pod}\nIP: ${backend.ip}\nRequest: ${req.method} ${req.url}\n`);
      }
    });
    server.listen(port, host);
    return server;
  }
}
