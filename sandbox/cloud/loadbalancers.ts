// What the AWS Load Balancer Controller and the ELB data plane do, emulated after the controller
// version the lab installs (lbc-model.ts): for each NLB-class Service and `alb` Ingress in a
// cluster whose controller Deployment is available, it first adds its finalizer, then makes the
// shared backend and a frontend security group, the load balancer, an ip target group and a
// tagged listener, keeps the targets equal to the ready endpoints (admitting the backend group on
// the targets' ENIs' groups), and publishes the hostname. A deleted object's resources go in the
// controller's order before its finalizer does; without a running controller nothing happens, so
// the object stays, as on EKS. A loopback HTTP front answers for every load balancer's hostname.
import { createServer, type Server } from 'node:http';
import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  AppsV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  NetworkingV1Api,
  type KubeConfig,
  type V1Deployment,
  type V1Ingress,
  type V1ObjectMeta,
  type V1Service,
} from '@kubernetes/client-node';
import { ElbStates } from './elb-states.js';
import type { GatewayResponse } from './http.js';
import type { LatencyProfile } from './latency.js';
import { ControllerAws, controllerClients, type ControllerClients, type LbResources } from './lbc-aws.js';
import { parseControllerArgs, parseTagList, type ControllerConfig, type LbObject } from './lbc-model.js';
import type { InstanceRoleCredentials } from './node-role.js';
import type { AwsCall } from './protocol.js';
import { ClusterWatcher } from './reconcile.js';

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
  /** The controller's AWS clients, made again when its configuration or service account changes. */
  clients?: { key: string; aws: ControllerClients };
  /**
   * What was deployed for each object (by uid), with the object and configuration it was deployed
   * for: like the controller, which reconciles on changes rather than re-reading AWS every time.
   */
  deployed: Map<string, { key: string; backendSg: string; made: LbResources }>;
  /** The targets the ENI rules were last made for. */
  ruleTargets?: string;
  /** The last error each object's reconcile reported as an event (by uid), so each is reported once. */
  reported: Map<string, string>;
}

/** One Service or Ingress with how to patch it: the controller's view of the object. */
interface Watched {
  object: LbObject;
  meta: V1ObjectMeta;
  finalizer: string;
  hostname?: string;
  setFinalizers: (finalizers: string[]) => Promise<unknown>;
  setHostname: (hostname: string) => Promise<unknown>;
}

const jsonPatch = (path: string, value: unknown) => [{ op: 'add', path, value }];

export class LoadBalancerEmulator extends ClusterWatcher<ClusterWatch> {
  /** Load balancer hostname (lower case) → what answers for it. */
  readonly frontends = new Map<string, Frontend>();
  private readonly states: ElbStates;

  constructor(
    profile: () => LatencyProfile,
    private readonly instanceRoleCredentials: InstanceRoleCredentials,
    log: (line: string) => void,
  ) {
    super('load balancers', 500, log);
    this.states = new ElbStates(profile);
  }

  /** The gateway's ELBv2 calls: states that change with time. */
  handle(call: AwsCall, forward: (call: AwsCall) => Promise<GatewayResponse>): Promise<GatewayResponse> {
    return this.states.handle(call, forward);
  }

  watch(cluster: string, kc: KubeConfig, vpcConfig: { subnetIds?: string[]; vpcId?: string }): void {
    this.watchWith(cluster, {
      kc,
      vpcId: vpcConfig.vpcId,
      subnetIds: vpcConfig.subnetIds ?? [],
      deployed: new Map(),
      reported: new Map(),
    });
  }

  /** Its load balancers stay in AWS (on AWS too they outlive a deleted cluster); only its fronts go. */
  protected override release(cluster: string): void {
    for (const [host, f] of this.frontends) if (f.cluster === cluster) this.frontends.delete(host);
  }

  /** The available controller's configuration (its flags), service account and Deployment, or undefined. */
  private async controller(
    kc: KubeConfig,
  ): Promise<
    | { config: ControllerConfig; serviceAccount: { namespace: string; name: string }; deployment: V1Deployment }
    | undefined
  > {
    const deployments = await kc
      .makeApiClient(AppsV1Api)
      .listDeploymentForAllNamespaces({ labelSelector: 'app.kubernetes.io/name=aws-load-balancer-controller' });
    const running = deployments.items.find((d) => (d.status?.availableReplicas ?? 0) > 0);
    const pod = running?.spec?.template.spec;
    const config = parseControllerArgs(pod?.containers[0]?.args ?? []);
    if (!running || !config) return undefined;
    return {
      config,
      serviceAccount: { namespace: running.metadata!.namespace!, name: pod?.serviceAccountName ?? 'default' },
      deployment: running,
    };
  }

  protected async reconcile(cluster: string, entry: ClusterWatch): Promise<void> {
    const controller = await this.controller(entry.kc);
    if (!controller) return;
    const { config, serviceAccount, deployment } = controller;
    const vpcId = config.vpcId ?? entry.vpcId;
    if (!vpcId) return;
    const key = JSON.stringify({ config, serviceAccount });
    if (entry.clients?.key !== key)
      entry.clients = {
        key,
        aws: await controllerClients(entry.kc, { cluster, deployment }, this.instanceRoleCredentials, this.log),
      };
    const aws = new ControllerAws(entry.clients.aws, config, this.log);
    const objects = await this.watchedObjects(entry.kc);
    const active = objects.filter((w) => !w.meta.deletionTimestamp);
    const targets: { ip: string; port: number }[] = [];
    // Each object is reconciled on its own, as the controller's workers do: one failing stops no other.
    for (const w of objects) {
      try {
        if (w.meta.deletionTimestamp) {
          // The backend group goes with the last object that holds the controller's finalizer.
          const backendNeeded = active.some((a) => a.meta.finalizers?.includes(a.finalizer));
          await this.cleanUp(cluster, entry, aws, vpcId, w, backendNeeded);
        } else {
          const backends = await this.deploy(cluster, entry, aws, vpcId, w);
          targets.push(...backends.map((b) => ({ ip: b.ip, port: w.object.targetPort })));
        }
        entry.reported.delete(w.object.uid);
      } catch (err) {
        const e = err as Error;
        this.log(`${cluster}: ${w.object.kind} ${w.object.namespace}/${w.object.name}: ${e.name}: ${e.message}`);
        await this.reportFailure(entry, w, e).catch((reportErr: Error) =>
          this.log(`${cluster}: no event for ${w.object.namespace}/${w.object.name}: ${reportErr.message}`),
        );
      }
    }
    const ruleTargets = JSON.stringify(targets.map((t) => `${t.ip}:${t.port}`).sort());
    // Objects gone without the controller (their finalizer removed by hand) are forgotten.
    for (const uid of entry.deployed.keys()) if (!objects.some((w) => w.object.uid === uid)) entry.deployed.delete(uid);
    const backendSg = active.map((w) => entry.deployed.get(w.object.uid)?.backendSg).find(Boolean);
    if (backendSg && active.length > 0 && ruleTargets !== entry.ruleTargets) {
      await aws.syncTargetRules(vpcId, backendSg, targets);
      entry.ruleTargets = ruleTargets;
    }
  }

  /** Adds the finalizer before anything is made; then makes or finds everything and follows the endpoints. */
  private async deploy(
    cluster: string,
    entry: ClusterWatch,
    aws: ControllerAws,
    vpcId: string,
    w: Watched,
  ): Promise<Backend[]> {
    const finalizers = w.meta.finalizers ?? [];
    if (!finalizers.includes(w.finalizer)) await w.setFinalizers([...finalizers, w.finalizer]);
    const key = JSON.stringify([w.object, entry.clients?.key]);
    let deployed = entry.deployed.get(w.object.uid);
    if (deployed?.key !== key) {
      const backendSg = await aws.ensureBackendSg(vpcId);
      deployed = { key, backendSg, made: await aws.ensure(vpcId, entry.subnetIds, backendSg, w.object) };
      entry.deployed.set(w.object.uid, deployed);
    }
    const { made } = deployed;
    const backends = await this.readyBackends(entry.kc, w.object.namespace, w.object.backendService);
    await this.syncTargets(aws.aws, made.targetGroup.TargetGroupArn!, backends, w.object.targetPort);
    const hostname = made.loadBalancer.DNSName!.toLowerCase();
    const existing = this.frontends.get(hostname);
    if (existing) existing.backends = backends;
    else
      this.frontends.set(hostname, {
        kind: w.object.kind,
        cluster,
        object: `${w.object.namespace}/${w.object.name}`,
        backends,
        next: 0,
        served: new Map(),
      });
    // As the controller: the status carries the DNS name once the model is deployed, while the load balancer still provisions.
    if (w.hostname !== made.loadBalancer.DNSName) {
      await w.setHostname(made.loadBalancer.DNSName!);
      this.log(
        `${cluster}: ${w.object.kind} ${made.loadBalancer.LoadBalancerName} for ${w.object.namespace}/${w.object.name} at ${made.loadBalancer.DNSName}`,
      );
    }
    return backends;
  }

  private async cleanUp(
    cluster: string,
    entry: ClusterWatch,
    aws: ControllerAws,
    vpcId: string,
    w: Watched,
    backendNeeded: boolean,
  ): Promise<void> {
    const finalizers = w.meta.finalizers ?? [];
    if (!finalizers.includes(w.finalizer)) return;
    entry.deployed.delete(w.object.uid);
    entry.ruleTargets = undefined;
    await aws.delete(vpcId, w.object);
    for (const [host, f] of this.frontends)
      if (f.cluster === cluster && f.object === `${w.object.namespace}/${w.object.name}`) this.frontends.delete(host);
    if (!backendNeeded) await aws.releaseBackendSg(vpcId);
    await w.setFinalizers(finalizers.filter((f) => f !== w.finalizer));
    this.log(`${cluster}: ${w.object.kind} for ${w.object.namespace}/${w.object.name} deleted, finalizer removed`);
  }

  /**
   * The Warning event the controller records on the object when a reconcile fails (v2.17.1
   * controllers/service/service_controller.go: FailedDeployModel, FailedCleanup), once per error.
   */
  private async reportFailure(entry: ClusterWatch, w: Watched, err: Error): Promise<void> {
    const deleting = !!w.meta.deletionTimestamp;
    const message = `Failed ${deleting ? 'cleanup' : 'deploy model'} due to ${err.name}: ${err.message}`;
    if (entry.reported.get(w.object.uid) === message) return;
    entry.reported.set(w.object.uid, message);
    const service = w.object.kind === 'nlb';
    const now = new Date();
    await entry.kc.makeApiClient(CoreV1Api).createNamespacedEvent({
      namespace: w.object.namespace,
      body: {
        metadata: { generateName: `${w.object.name}.`, namespace: w.object.namespace },
        involvedObject: {
          apiVersion: service ? 'v1' : 'networking.k8s.io/v1',
          kind: service ? 'Service' : 'Ingress',
          namespace: w.object.namespace,
          name: w.object.name,
          uid: w.object.uid,
        },
        type: 'Warning',
        reason: deleting ? 'FailedCleanup' : 'FailedDeployModel',
        message,
        source: { component: service ? 'service' : 'ingress' },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
  }

  private async watchedObjects(kc: KubeConfig): Promise<Watched[]> {
    const core = kc.makeApiClient(CoreV1Api);
    const net = kc.makeApiClient(NetworkingV1Api);
    const services = (await core.listServiceForAllNamespaces()).items.filter(
      (s) => s.spec?.type === 'LoadBalancer' && s.spec.loadBalancerClass === nlbClass,
    );
    const ingresses = (await net.listIngressForAllNamespaces()).items.filter(
      (i) => i.spec?.ingressClassName === 'alb' || i.metadata?.annotations?.['kubernetes.io/ingress.class'] === 'alb',
    );
    const out: Watched[] = services.map((svc) => this.watchedService(core, svc));
    for (const ing of ingresses) out.push(await this.watchedIngress(core, net, ing));
    return out;
  }

  private watchedService(core: CoreV1Api, svc: V1Service): Watched {
    const meta = svc.metadata!;
    const port = svc.spec?.ports?.[0];
    const ref = { name: meta.name!, namespace: meta.namespace! };
    return {
      meta,
      finalizer: serviceFinalizer,
      hostname: svc.status?.loadBalancer?.ingress?.[0]?.hostname,
      object: {
        kind: 'nlb',
        namespace: meta.namespace!,
        name: meta.name!,
        uid: meta.uid ?? '',
        scheme: scheme(meta.annotations?.['service.beta.kubernetes.io/aws-load-balancer-scheme']),
        listenerPort: port?.port ?? 80,
        backendService: meta.name!,
        targetPort: typeof port?.targetPort === 'number' ? port.targetPort : (port?.port ?? 80),
        annotationTags: parseTagList(meta.annotations?.[tagsAnnotation]),
      },
      setFinalizers: (finalizers) =>
        core.patchNamespacedService({ ...ref, body: jsonPatch('/metadata/finalizers', finalizers) }),
      setHostname: (hostname) =>
        core.patchNamespacedServiceStatus({
          ...ref,
          body: jsonPatch('/status/loadBalancer', { ingress: [{ hostname }] }),
        }),
    };
  }

  private async watchedIngress(core: CoreV1Api, net: NetworkingV1Api, ing: V1Ingress): Promise<Watched> {
    const meta = ing.metadata!;
    const ref = { name: meta.name!, namespace: meta.namespace! };
    const backend = ing.spec?.rules?.[0]?.http?.paths?.[0]?.backend?.service ?? ing.spec?.defaultBackend?.service;
    const servicePort = backend?.port?.number ?? 80;
    // ip targets are the pods: the backend Service's targetPort, not its port.
    const svc = backend?.name
      ? await core.readNamespacedService({ name: backend.name, namespace: meta.namespace! }).catch(() => undefined)
      : undefined;
    const targetPort = svc?.spec?.ports?.find((p) => p.port === servicePort)?.targetPort;
    return {
      meta,
      finalizer: ingressFinalizer,
      hostname: ing.status?.loadBalancer?.ingress?.[0]?.hostname,
      object: {
        kind: 'alb',
        namespace: meta.namespace!,
        name: meta.name!,
        uid: meta.uid ?? '',
        scheme: scheme(meta.annotations?.['alb.ingress.kubernetes.io/scheme']),
        listenerPort: 80,
        backendService: backend?.name ?? '',
        targetPort: typeof targetPort === 'number' ? targetPort : servicePort,
        annotationTags: parseTagList(meta.annotations?.[albTagsAnnotation]),
      },
      setFinalizers: (finalizers) =>
        net.patchNamespacedIngress({ ...ref, body: jsonPatch('/metadata/finalizers', finalizers) }),
      setHostname: (hostname) =>
        net.patchNamespacedIngressStatus({
          ...ref,
          body: jsonPatch('/status/loadBalancer', { ingress: [{ hostname }] }),
        }),
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

  /** Registers new endpoints (`initial` at first) and deregisters gone ones (`draining` for the delay). */
  private async syncTargets(
    clients: ControllerClients,
    targetGroupArn: string,
    backends: Backend[],
    port: number,
  ): Promise<void> {
    const health = await clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
    const current = new Set(
      (health.TargetHealthDescriptions ?? [])
        .filter((t) => t.TargetHealth?.State !== 'draining')
        .map((t) => t.Target!.Id!),
    );
    const wanted = new Set(backends.map((b) => b.ip));
    const add = [...wanted].filter((ip) => !current.has(ip));
    const remove = [...current].filter((ip) => !wanted.has(ip));
    if (add.length)
      await clients.elbv2.send(
        new RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: add.map((Id) => ({ Id, Port: port })) }),
      );
    if (remove.length)
      await clients.elbv2.send(
        new DeregisterTargetsCommand({
          TargetGroupArn: targetGroupArn,
          Targets: remove.map((Id) => ({ Id, Port: port })),
        }),
      );
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

const scheme = (value: string | undefined): LbObject['scheme'] =>
  value === 'internet-facing' ? 'internet-facing' : 'internal';
