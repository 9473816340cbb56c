// The EKS part of the gateway. moto keeps the clusters and node groups; this adds what EKS
// itself does: a real control plane per cluster, CREATING/DELETING phases timed by the latency
// profile, nodes that join when a node group becomes ACTIVE, the add-ons API, and EKS's
// Kubernetes version calendar.
import { createHash } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  addonInfo,
  addonJson,
  addonVersionRunsOn,
  addonView,
  defaultAddonVersion,
  supportedAddons,
  type AddonOutcome,
  type AddonRecord,
} from './addons.js';
import { endpoints } from '../config.js';
import { awsError, type AwsCall } from './protocol.js';
import { json, sleep, type GatewayResponse } from './http.js';
import { createKwokCluster, deleteKwokCluster, kwokEndpoint, kwokKubeConfig, kwokName } from './kwok.js';
import type { LatencyProfile } from './latency.js';
import { recordTransition } from './transitions.js';
import { installEksSystemObjects, joinNodes, removeNodes, type NodegroupSpec } from './nodes.js';
import { clusterVersions, defaultClusterVersion, versionStatus } from './versions.js';

type Forward = (call: AwsCall) => Promise<GatewayResponse>;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- EKS wire JSON

interface NodegroupRecord {
  spec: NodegroupSpec;
  readyAt: number;
  state: 'creating' | 'active' | 'failed' | 'deleting' | 'delete_failed';
  error?: string;
  /** Set by an injected fault (`outcome: DELETE_FAILED`): the next delete ends DELETE_FAILED. */
  failDelete?: boolean;
  instanceIds: string[];
  snapshot: Json;
}

interface ClusterRecord {
  name: string;
  kwok: string;
  /** The Kubernetes version asked for (moto keeps its own default) and the upgrade policy. */
  version: string;
  supportType: string;
  readyAt: number;
  state: 'starting' | 'running' | 'failed' | 'deleting';
  error?: string;
  snapshot: Json;
  /** The cluster's own OIDC issuer: moto gives every cluster the same one; EKS gives each its own. */
  issuer: string;
  nodegroups: Map<string, NodegroupRecord>;
  addons: Map<string, AddonRecord>;
}

/** An issuer as EKS makes them (`https://oidc.eks.<region>.amazonaws.com/id/<32 hex>`), unique per cluster ARN. */
function clusterIssuer(arn: string): string {
  const region = arn.split(':')[3] ?? 'us-east-1';
  const id = createHash('sha256').update(arn).digest('hex').slice(0, 32).toUpperCase();
  return `https://oidc.eks.${region}.amazonaws.com/id/${id}`;
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

  /** `outcome` comes from an injected fault that makes the call succeed but the resource fail later. */
  async handle(call: AwsCall, forward: Forward, outcome?: string): Promise<GatewayResponse> {
    const [, root, name, sub, subName] = call.path.split('/').map(decodeURIComponent);
    if (root === 'addons') return this.describeAddonVersions(call.query);
    if (root === 'cluster-versions') return this.describeClusterVersions(call.query);
    if (root === 'clusters' && !name && call.method === 'POST') return this.createCluster(call, forward);
    if (root !== 'clusters' || !name) return forward(call);
    const cluster = this.clusters.get(name);
    if (sub === 'addons') return this.addons(call, name, cluster, subName, outcome as AddonOutcome | undefined);
    if (sub === 'node-groups') return this.nodegroups(call, forward, cluster, subName, outcome);
    if (sub) return forward(call);
    return this.cluster(call, forward, name, cluster);
  }

  /** CreateCluster refuses a version EKS no longer supports (EKS API reference, CreateCluster). */
  private async createCluster(call: AwsCall, forward: Forward): Promise<GatewayResponse> {
    const req = JSON.parse(call.body.toString() || '{}') as Json;
    const name = String(req.name ?? '');
    const version = String(req.version ?? defaultClusterVersion() ?? '');
    if (versionStatus(version) === 'UNSUPPORTED')
      return eksError('InvalidParameterException', `unsupported Kubernetes version ${version}`, 400, name);
    // Extended support is on unless the caller turns it off (EKS API reference, UpgradePolicyRequest).
    const supportType = String((req.upgradePolicy as Json | undefined)?.supportType ?? 'EXTENDED');
    if (!['STANDARD', 'EXTENDED'].includes(supportType))
      return eksError('InvalidParameterException', `invalid upgradePolicy.supportType ${supportType}`, 400, name);
    const res = await forward(call);
    if (res.status !== 200) return res;
    const snapshot = (JSON.parse(res.body.toString()) as Json).cluster as Json;
    const created: ClusterRecord = {
      name,
      kwok: kwokName(name),
      version,
      supportType,
      readyAt: Date.now() + this.profile().clusterCreateMs,
      state: 'starting',
      snapshot,
      issuer: clusterIssuer(String(snapshot.arn)),
      nodegroups: new Map(),
      addons: new Map(),
    };
    this.clusters.set(name, created);
    void this.startControlPlane(created);
    return json(200, { cluster: this.clusterView(created) });
  }

  private async cluster(
    call: AwsCall,
    forward: Forward,
    name: string,
    record?: ClusterRecord,
  ): Promise<GatewayResponse> {
    // DeleteCluster is refused while the cluster is still being made or has node groups, even
    // ones still DELETING (EKS API reference, DeleteCluster: ResourceInUseException).
    if (call.method === 'DELETE' && record && record.state !== 'deleting') {
      if (this.clusterStatus(record) === 'CREATING')
        return eksError(
          'ResourceInUseException',
          `Cannot delete because cluster ${name} currently has an update in progress`,
          409,
          name,
        );
      if (record.nodegroups.size > 0)
        return eksError('ResourceInUseException', 'Cluster has nodegroups attached', 409, name, [
          ...record.nodegroups.keys(),
        ]);
    }
    const res = await forward(call);
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

  private clusterStatus(record: ClusterRecord): string {
    const active = record.state === 'running' && Date.now() >= record.readyAt;
    return {
      starting: 'CREATING',
      running: active ? 'ACTIVE' : 'CREATING',
      failed: 'FAILED',
      deleting: 'DELETING',
    }[record.state];
  }

  private clusterView(record: ClusterRecord): Json {
    const status = this.clusterStatus(record);
    const view: Json = {
      ...record.snapshot,
      status,
      version: record.version,
      platformVersion: clusterVersions().find((v) => v.clusterVersion === record.version)?.defaultPlatformVersion,
      upgradePolicy: { supportType: record.supportType },
      identity: { oidc: { issuer: record.issuer } },
    };
    if (status === 'ACTIVE') {
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
      await createKwokCluster(record.kwok, {
        tokenReviewUrl: `${endpoints.gateway}/_netlab/tokenreview/${encodeURIComponent(record.name)}`,
        log: (l) => this.log(`kwokctl ${record.kwok}: ${l}`),
        profile: this.profile(),
        serviceAccountIssuer: record.issuer,
      });
      const kc = kwokKubeConfig(record.kwok);
      await installEksSystemObjects(kc, (a) => defaultAddonVersion(a, record.version));
      if ((record.state as ClusterRecord['state']) === 'deleting') return;
      record.state = 'running';
      // ACTIVE once both the control plane runs and the profile's creation time has passed.
      recordTransition('cluster', record.name, 'ACTIVE', Math.max(Date.now(), record.readyAt));
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
    recordTransition('cluster', record.name, 'gone');
  }

  /** The admin kubeconfig of the running cluster whose OIDC issuer this is (IRSA's token check). */
  kubeConfigByIssuer(issuer: string): KubeConfig | undefined {
    const record = [...this.clusters.values()].find((c) => c.state === 'running' && c.issuer === issuer);
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
    outcome?: string,
  ): Promise<GatewayResponse> {
    const record = name && cluster ? cluster.nodegroups.get(name) : undefined;
    // A DELETE_FAILED node group is gone from moto but not from EKS: deleting it again retries.
    if (call.method === 'DELETE' && record?.state === 'delete_failed') {
      record.failDelete = outcome === 'DELETE_FAILED';
      this.startDelete(cluster!, record);
      return json(200, { nodegroup: this.nodegroupView(record) });
    }
    const res = await forward(call);
    if (!cluster) return res;
    if (call.method === 'GET' && !name && res.status === 200) return this.listNodegroups(cluster, res);
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
    if (call.method === 'GET' && name && record && (res.status === 200 || record.state.startsWith('delet'))) {
      if (res.status === 200) record.snapshot = (JSON.parse(res.body.toString()) as Json).nodegroup;
      return json(200, { nodegroup: this.nodegroupView(record) });
    }
    if (call.method === 'DELETE' && res.status === 200 && record) {
      record.failDelete = outcome === 'DELETE_FAILED';
      this.startDelete(cluster, record);
      return json(200, { nodegroup: this.nodegroupView(record) });
    }
    return res;
  }

  /** moto forgets a node group at once; EKS lists it until its deletion has finished. */
  private listNodegroups(cluster: ClusterRecord, res: GatewayResponse): GatewayResponse {
    const body = JSON.parse(res.body.toString()) as Json;
    if (body.nextToken) return res;
    const listed = new Set<string>(body.nodegroups ?? []);
    for (const [name, r] of cluster.nodegroups) if (r.state.startsWith('delet')) listed.add(name);
    return json(200, { ...body, nodegroups: [...listed] });
  }

  private nodegroupView(record: NodegroupRecord): Json {
    const status = {
      creating: 'CREATING',
      active: 'ACTIVE',
      failed: 'CREATE_FAILED',
      deleting: 'DELETING',
      delete_failed: 'DELETE_FAILED',
    }[record.state];
    // The issue codes EKS reports (EKS API reference, Issue).
    const code = record.state === 'delete_failed' ? 'Ec2SecurityGroupDeletionFailure' : 'NodeCreationFailure';
    const health = record.error ? { issues: [{ code, message: record.error }] } : { issues: [] };
    return { ...record.snapshot, status, health };
  }

  private startDelete(cluster: ClusterRecord, record: NodegroupRecord): void {
    record.state = 'deleting';
    record.error = undefined;
    void this.removeWhenDeleted(cluster, record);
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
      if (record.state === 'creating') {
        record.state = 'active';
        recordTransition('nodegroup', `${cluster.name}/${record.spec.name}`, 'ACTIVE');
      }
      this.log(`node group ${cluster.name}/${record.spec.name}: ${record.instanceIds.length} nodes joined`);
    } catch (err) {
      record.state = 'failed';
      record.error = (err as Error).message;
      this.log(`node group ${cluster.name}/${record.spec.name}: nodes failed to join: ${record.error}`);
    }
  }

  private async removeWhenDeleted(cluster: ClusterRecord, record: NodegroupRecord): Promise<void> {
    if (record.failDelete) {
      // As when a dependency blocks EKS's cleanup: the nodes and instances stay.
      await sleep(this.profile().nodegroupDeleteMs);
      record.state = 'delete_failed';
      record.error =
        'We could not delete the remote access security group for your managed node group. Remove any dependencies from the security group.';
      return;
    }
    // The instances go even while the cluster's API server is away (restarting, say): only the
    // Node objects need it.
    const kc = cluster.state === 'running' ? kwokKubeConfig(cluster.kwok) : undefined;
    try {
      const drainProblem = await removeNodes(kc, record.spec, record.instanceIds);
      if (drainProblem) this.log(`node group ${cluster.name}/${record.spec.name}: removing nodes: ${drainProblem}`);
    } catch (err) {
      // The instances could not be terminated: the node group stays, DELETE_FAILED, as on AWS.
      record.state = 'delete_failed';
      record.error = (err as Error).message;
      return;
    }
    await sleep(this.profile().nodegroupDeleteMs);
    cluster.nodegroups.delete(record.spec.name);
    recordTransition('nodegroup', `${cluster.name}/${record.spec.name}`, 'gone');
  }

  private addons(
    call: AwsCall,
    clusterName: string,
    cluster: ClusterRecord | undefined,
    addonName?: string,
    outcome?: AddonOutcome,
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
      const version = String(req.addonVersion ?? defaultAddonVersion(name, cluster.version) ?? '');
      if (!supportedAddons.includes(name))
        return awsError(
          'eks',
          'InvalidParameterException',
          `Addon ${name} is not supported; supported: ${supportedAddons.join(', ')}`,
          400,
        );
      if (!addonVersionRunsOn(name, version, cluster.version))
        return eksError(
          'InvalidParameterException',
          `Addon version specified is not supported: ${name} ${version} on Kubernetes ${cluster.version}`,
          400,
          clusterName,
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
        outcome,
      };
      cluster.addons.set(name, record);
      recordTransition('addon', `${clusterName}/${name}`, outcome ?? 'ACTIVE', record.readyAt);
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

  /** DescribeAddonVersions: every version of each add-on, or those for one Kubernetes version; paginated. */
  private describeAddonVersions(query: URLSearchParams): GatewayResponse {
    const kubernetesVersion = query.get('kubernetesVersion') ?? undefined;
    const names = query.get('addonName') ? [query.get('addonName')!] : supportedAddons;
    const addons = names.flatMap((n) => addonInfo(n, kubernetesVersion) ?? []).filter((a) => a.addonVersions?.length);
    return page(addons, query, (items, nextToken) => ({ addons: items, nextToken }));
  }

  /**
   * DescribeClusterVersions (EKS API reference): the supported versions unless `includeAll`,
   * narrowed by `clusterVersions`, `versionStatus` (or the deprecated `status`) and `defaultOnly`.
   */
  private describeClusterVersions(query: URLSearchParams): GatewayResponse {
    const wanted = query.getAll('clusterVersions');
    const status = query.get('versionStatus') ?? query.get('status');
    const versions = clusterVersions().filter(
      (v) =>
        (query.get('includeAll') === 'true' || wanted.length > 0 || status || v.versionStatus !== 'UNSUPPORTED') &&
        (wanted.length === 0 || wanted.includes(v.clusterVersion!)) &&
        (!status || v.versionStatus === status || v.status === status) &&
        (query.get('defaultOnly') !== 'true' || v.defaultVersion),
    );
    const seconds = (d?: Date): number | undefined => (d ? d.getTime() / 1000 : undefined);
    return page(versions, query, (items, nextToken) => ({
      clusterVersions: items.map((v) => ({
        ...v,
        releaseDate: seconds(v.releaseDate),
        endOfStandardSupportDate: seconds(v.endOfStandardSupportDate),
        endOfExtendedSupportDate: seconds(v.endOfExtendedSupportDate),
      })),
      nextToken,
    }));
  }
}

/** The sandbox's page size when the caller gives no maxResults: small, so one-page readers fail. */
const defaultPageSize = 2;

/** One page of `items` per EKS's maxResults/nextToken pagination (maxResults 1–100). */
function page<T>(
  items: T[],
  query: URLSearchParams,
  render: (items: T[], nextToken?: string) => Json,
): GatewayResponse {
  const max = Number(query.get('maxResults') ?? defaultPageSize);
  if (!Number.isInteger(max) || max < 1 || max > 100)
    return eksError('InvalidParameterException', 'maxResults must be between 1 and 100', 400);
  const token = query.get('nextToken');
  const start = token ? Number(Buffer.from(token, 'base64url').toString()) : 0;
  if (!Number.isInteger(start) || start < 0 || start > items.length)
    return eksError('InvalidParameterException', 'The nextToken provided is invalid', 400);
  const end = start + max;
  const next = end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined;
  return json(200, render(items.slice(start, end), next));
}

/** An EKS error with the resource names EKS puts beside the message. */
function eksError(code: string, message: string, status: number, clusterName?: string, nodegroups?: string[]) {
  const e = awsError('eks', code, message, status);
  return {
    ...e,
    body: JSON.stringify({ clusterName, nodegroupName: nodegroups?.join(','), message }),
  };
}
