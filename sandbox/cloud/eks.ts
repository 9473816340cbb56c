// The EKS part of the gateway. moto keeps the clusters and node groups; this adds what EKS
// itself does: a real control plane per cluster, CREATING/DELETING phases timed by the latency
// profile, nodes that join when a node group becomes ACTIVE, and the add-ons API.
import type { KubeConfig } from '@kubernetes/client-node';
import { addonJson, addonView, defaultAddonVersion, supportedAddons, type AddonRecord } from './addons.js';
import { endpoints } from '../config.js';
import { awsError, type AwsCall } from './protocol.js';
import { json, sleep, type GatewayResponse } from './http.js';
import { createKwokCluster, deleteKwokCluster, kwokEndpoint, kwokKubeConfig, kwokName } from './kwok.js';
import type { LatencyProfile } from './latency.js';
import { installEksSystemObjects, joinNodes, removeNodes, type NodegroupSpec } from './nodes.js';

type Forward = (call: AwsCall) => Promise<GatewayResponse>;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- EKS wire JSON

interface NodegroupRecord {
  spec: NodegroupSpec;
  readyAt: number;
  state: 'creating' | 'active' | 'failed' | 'deleting';
  error?: string;
  instanceIds: string[];
  snapshot: Json;
}

interface ClusterRecord {
  name: string;
  kwok: string;
  readyAt: number;
  state: 'starting' | 'running' | 'failed' | 'deleting';
  error?: string;
  snapshot: Json;
  nodegroups: Map<string, NodegroupRecord>;
  addons: Map<string, AddonRecord>;
}

/** What the rest of the cloud needs to know about clusters (the load balancer emulation). */
export interface ClusterEvents {
  running(name: string, kc: KubeConfig, vpcConfig: Json): void;
  stopping(name: string): void;
}

export class EksEmulator {
  readonly clusters = new Map<string, ClusterRecord>();

  constructor(
    private readonly profile: () => LatencyProfile,
    private readonly events: ClusterEvents,
    private readonly log: (line: string) => void,
  ) {}

  async handle(call: AwsCall, forward: Forward): Promise<GatewayResponse> {
    const [, root, name, sub, subName] = call.path.split('/').map(decodeURIComponent);
    if (root === 'addons') return this.describeAddonVersions(call.query);
    if (root === 'clusters' && !name && call.method === 'POST') {
      const requested = String((JSON.parse(call.body.toString() || '{}') as Json).name ?? '');
      return this.cluster(call, forward, requested, this.clusters.get(requested));
    }
    if (root !== 'clusters' || !name) return forward(call);
    const cluster = this.clusters.get(name);
    if (sub === 'addons') return this.addons(call, name, cluster, subName);
    if (sub === 'node-groups') return this.nodegroups(call, forward, cluster, subName);
    if (sub) return forward(call);
    return this.cluster(call, forward, name, cluster);
  }

  private async cluster(
    call: AwsCall,
    forward: Forward,
    name: string,
    record?: ClusterRecord,
  ): Promise<GatewayResponse> {
    const res = await forward(call);
    if (call.method === 'POST' && res.status === 200) {
      const body = JSON.parse(res.body.toString()) as Json;
      const created: ClusterRecord = {
        name,
        kwok: kwokName(name),
        readyAt: Date.now() + this.profile().clusterCreateMs,
        state: 'starting',
        snapshot: body.cluster,
        nodegroups: new Map(),
        addons: new Map(),
      };
      this.clusters.set(name, created);
      void this.startControlPlane(created);
      return json(200, { cluster: this.clusterView(created) });
    }
    if (call.method === 'GET' && res.status === 200 && record) {
      record.snapshot = (JSON.parse(res.body.toString()) as Json).cluster;
      return json(200, { cluster: this.clusterView(record) });
    }
    if (call.method === 'GET' && res.status === 404 && record?.state === 'deleting') {
      return json(200, { cluster: this.clusterView(record) });
    }
    if (call.method === 'DELETE' && res.status === 200 && record) {
      record.state = 'deleting';
      void this.stopControlPlane(record);
      return json(200, { cluster: this.clusterView(record) });
    }
    return res;
  }

  private clusterView(record: ClusterRecord): Json {
    const active = record.state === 'running' && Date.now() >= record.readyAt;
    const status = {
      starting: 'CREATING',
      running: active ? 'ACTIVE' : 'CREATING',
      failed: 'FAILED',
      deleting: 'DELETING',
    }[record.state];
    const view: Json = { ...record.snapshot, status };
    if (active) {
      const { endpoint, caData } = kwokEndpoint(record.kwok);
      view.endpoint = endpoint;
      view.certificateAuthority = { data: caData };
    } else {
      delete view.endpoint;
      delete view.certificateAuthority;
    }
    if (record.error) view.health = { issues: [{ code: 'ClusterUnreachable', message: record.error }] };
    return view;
  }

  private async startControlPlane(record: ClusterRecord): Promise<void> {
    try {
      this.log(`cluster ${record.name}: starting control plane ${record.kwok}`);
      await createKwokCluster(
        record.kwok,
        `${endpoints.gateway}/_netlab/tokenreview/${encodeURIComponent(record.name)}`,
        (l) => this.log(`kwokctl ${record.kwok}: ${l}`),
        record.snapshot.identity?.oidc?.issuer,
      );
      const kc = kwokKubeConfig(record.kwok);
      await installEksSystemObjects(kc, (a) => defaultAddonVersion(a, String(record.snapshot.version ?? '')));
      if ((record.state as ClusterRecord['state']) === 'deleting') return;
      record.state = 'running';
      this.events.running(record.name, kc, record.snapshot.resourcesVpcConfig ?? {});
      this.log(`cluster ${record.name}: control plane running`);
    } catch (err) {
      record.state = 'failed';
      record.error = (err as Error).message;
      this.log(`cluster ${record.name}: control plane failed: ${record.error}`);
    }
  }

  private async stopControlPlane(record: ClusterRecord): Promise<void> {
    this.events.stopping(record.name);
    await sleep(this.profile().clusterDeleteMs);
    try {
      await deleteKwokCluster(record.kwok, (l) => this.log(`kwokctl ${record.kwok}: ${l}`));
    } catch (err) {
      this.log(`cluster ${record.name}: deleting control plane failed: ${(err as Error).message}`);
    }
    this.clusters.delete(record.name);
  }

  /** The admin kubeconfig of the running cluster whose OIDC issuer this is (IRSA's token check). */
  kubeConfigByIssuer(issuer: string): KubeConfig | undefined {
    const record = [...this.clusters.values()].find(
      (c) => c.state === 'running' && c.snapshot.identity?.oidc?.issuer === issuer,
    );
    return record && kwokKubeConfig(record.kwok);
  }

  /** Removes every control plane: on gateway shutdown, or when moto lost its clusters. */
  async deleteAll(): Promise<void> {
    await Promise.all(
      [...this.clusters.values()].map((r) => deleteKwokCluster(r.kwok, this.log).catch(() => undefined)),
    );
    this.clusters.clear();
  }

  private async nodegroups(
    call: AwsCall,
    forward: Forward,
    cluster: ClusterRecord | undefined,
    name?: string,
  ): Promise<GatewayResponse> {
    const res = await forward(call);
    if (!cluster) return res;
    const record = name ? cluster.nodegroups.get(name) : undefined;
    if (call.method === 'POST' && res.status === 200) {
      const body = (JSON.parse(res.body.toString()) as Json).nodegroup as Json;
      const created: NodegroupRecord = {
        spec: {
          cluster: cluster.name,
          name: body.nodegroupName,
          subnets: body.subnets ?? [],
          instanceType: body.instanceTypes?.[0] ?? 't3.medium',
          desiredSize: body.scalingConfig?.desiredSize ?? 1,
          labels: body.labels ?? {},
          tags: body.tags ?? {},
        },
        readyAt: Date.now() + this.profile().nodegroupCreateMs,
        state: 'creating',
        instanceIds: [],
        snapshot: body,
      };
      cluster.nodegroups.set(created.spec.name, created);
      void this.joinWhenReady(cluster, created);
      return json(200, { nodegroup: this.nodegroupView(created) });
    }
    if (call.method === 'GET' && name && record && (res.status === 200 || record.state === 'deleting')) {
      if (res.status === 200) record.snapshot = (JSON.parse(res.body.toString()) as Json).nodegroup;
      return json(200, { nodegroup: this.nodegroupView(record) });
    }
    if (call.method === 'DELETE' && res.status === 200 && record) {
      record.state = 'deleting';
      void this.removeWhenDeleted(cluster, record);
      return json(200, { nodegroup: this.nodegroupView(record) });
    }
    return res;
  }

  private nodegroupView(record: NodegroupRecord): Json {
    const status = { creating: 'CREATING', active: 'ACTIVE', failed: 'CREATE_FAILED', deleting: 'DELETING' }[
      record.state
    ];
    const health = record.error ? { issues: [{ code: 'NodeCreationFailure', message: record.error }] } : { issues: [] };
    return { ...record.snapshot, status, health };
  }

  private async joinWhenReady(cluster: ClusterRecord, record: NodegroupRecord): Promise<void> {
    while (cluster.state === 'starting' || Date.now() < record.readyAt) await sleep(200);
    if (cluster.state !== 'running' || record.state !== 'creating') {
      record.state = record.state === 'deleting' ? 'deleting' : 'failed';
      record.error ??= `cluster ${cluster.name} is ${cluster.state}`;
      return;
    }
    try {
      record.instanceIds = await joinNodes(kwokKubeConfig(cluster.kwok), record.spec);
      if (record.state === 'creating') record.state = 'active';
      this.log(`node group ${cluster.name}/${record.spec.name}: ${record.instanceIds.length} nodes joined`);
    } catch (err) {
      record.state = 'failed';
      record.error = (err as Error).message;
      this.log(`node group ${cluster.name}/${record.spec.name}: nodes failed to join: ${record.error}`);
    }
  }

  private async removeWhenDeleted(cluster: ClusterRecord, record: NodegroupRecord): Promise<void> {
    try {
      if (cluster.state === 'running') await removeNodes(kwokKubeConfig(cluster.kwok), record.spec, record.instanceIds);
    } catch (err) {
      this.log(`node group ${cluster.name}/${record.spec.name}: removing nodes failed: ${(err as Error).message}`);
    }
    await sleep(this.profile().nodegroupDeleteMs);
    cluster.nodegroups.delete(record.spec.name);
  }

  private addons(
    call: AwsCall,
    clusterName: string,
    cluster: ClusterRecord | undefined,
    addonName?: string,
  ): GatewayResponse {
    const notFound = (what: string): GatewayResponse => {
      const e = awsError('eks', 'ResourceNotFoundException', `${what} not found`, 404);
      return { ...e };
    };
    if (!cluster || cluster.state === 'deleting') return notFound(`No cluster found for name: ${clusterName}.`);
    const now = Date.now();
    // Add-ons whose deletion has finished are gone.
    for (const [n, r] of cluster.addons) if (r.deleting && now >= r.readyAt) cluster.addons.delete(n);
    if (call.method === 'GET' && !addonName) return json(200, { addons: [...cluster.addons.keys()] });
    if (call.method === 'POST') {
      const req = JSON.parse(call.body.toString() || '{}') as Json;
      const name = String(req.addonName ?? '');
      const clusterVersion = String(cluster.snapshot.version ?? '');
      const version = req.addonVersion ?? defaultAddonVersion(name, clusterVersion);
      if (!version)
        return awsError(
          'eks',
          'InvalidParameterException',
          `Addon ${name} is not supported; supported: ${supportedAddons.join(', ')}`,
          400,
        );
      if (cluster.addons.has(name))
        return awsError('eks', 'ResourceInUseException', `Addon already exists: ${name}`, 409);
      const record: AddonRecord = {
        addon: {
          addonName: name,
          clusterName,
          addonVersion: version,
          addonArn: `${String(cluster.snapshot.arn).replace(':cluster/', ':addon/')}/${name}/${crypto.randomUUID()}`,
          serviceAccountRoleArn: req.serviceAccountRoleArn,
          createdAt: new Date(now),
          tags: req.tags ?? {},
          health: { issues: [] },
        },
        readyAt: now + this.profile().addonCreateMs,
        deleting: false,
      };
      cluster.addons.set(name, record);
      return json(200, { addon: addonJson(addonView(record, now)) });
    }
    const record = addonName ? cluster.addons.get(addonName) : undefined;
    if (!record) return notFound(`No addon: ${addonName} found in cluster: ${clusterName}`);
    if (call.method === 'DELETE') {
      record.deleting = true;
      record.readyAt = now + this.profile().addonCreateMs;
    }
    return json(200, { addon: addonJson(addonView(record, now)) });
  }

  private describeAddonVersions(query: URLSearchParams): GatewayResponse {
    const clusterVersion = query.get('kubernetesVersion') ?? '1.33';
    const names = query.get('addonName') ? [query.get('addonName')!] : supportedAddons;
    return json(200, {
      addons: names
        .filter((n) => supportedAddons.includes(n))
        .map((n) => ({
          addonName: n,
          type: 'networking',
          owner: 'aws',
          addonVersions: [
            {
              addonVersion: defaultAddonVersion(n, clusterVersion),
              compatibilities: [{ clusterVersion, defaultVersion: true }],
            },
          ],
        })),
    });
  }
}
