// The chaos suite's inventory: everything that exists in moto (every region, every resource type
// a lab or the sandbox's emulated machinery makes, tagged or not, asked of moto directly so no
// injected fault gets in the way) and every object in every API server the sandbox runs. Taken
// before and after a lab: what is new after is what the lab left.
import { request, type RequestOptions } from 'node:https';
import { CloudFormationClient, ListStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeLaunchTemplatesCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRegionsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { EKSClient, ListClustersCommand, ListNodegroupsCommand } from '@aws-sdk/client-eks';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  IAMClient,
  ListInstanceProfilesCommand,
  ListOpenIDConnectProvidersCommand,
  paginateListPolicies,
  paginateListRoles,
} from '@aws-sdk/client-iam';
import { ListHostedZonesCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import type { KubeConfig } from '@kubernetes/client-node';
import { endpoints, sandboxCredentials, sandboxRegion } from '../../sandbox/config.js';
import { kwokClusters, kwokKubeConfig } from '../../sandbox/cloud/kwok.js';

export interface InventoryItem {
  /** `moto <region>` or `apiserver <cluster>`. */
  where: string;
  kind: string;
  id: string;
}
export type Inventory = Map<string, InventoryItem>;

const keyOf = (i: InventoryItem): string => `${i.where}|${i.kind}|${i.id}`;
const motoOptions = (region: string) => ({ region, endpoint: endpoints.moto, credentials: sandboxCredentials });

type Lister = (region: string) => Promise<[kind: string, id: string | undefined][]>;

/** Each resource type, listed in one region; EC2 defaults (default VPC and its parts) are listed too and cancel out in a diff. */
const regional: Lister[] = [
  async (region) => {
    const ec2 = new EC2Client(motoOptions(region));
    const [vpcs, subnets, groups, igws, tables, enis, instances, volumes, addresses, nats, templates] =
      await Promise.all([
        ec2.send(new DescribeVpcsCommand({})),
        ec2.send(new DescribeSubnetsCommand({})),
        ec2.send(new DescribeSecurityGroupsCommand({})),
        ec2.send(new DescribeInternetGatewaysCommand({})),
        ec2.send(new DescribeRouteTablesCommand({})),
        ec2.send(new DescribeNetworkInterfacesCommand({})),
        ec2.send(new DescribeInstancesCommand({})),
        ec2.send(new DescribeVolumesCommand({})),
        ec2.send(new DescribeAddressesCommand({})),
        ec2.send(new DescribeNatGatewaysCommand({})),
        ec2.send(new DescribeLaunchTemplatesCommand({})),
      ]);
    const terminated = new Set(
      (instances.Reservations ?? [])
        .flatMap((r) => r.Instances ?? [])
        .filter((i) => i.State?.Name === 'terminated')
        .map((i) => i.InstanceId),
    );
    return [
      ...(vpcs.Vpcs ?? []).map((v) => ['vpc', v.VpcId] as [string, string | undefined]),
      ...(subnets.Subnets ?? []).map((s) => ['subnet', s.SubnetId] as [string, string | undefined]),
      ...(groups.SecurityGroups ?? []).map((g) => ['security-group', g.GroupId] as [string, string | undefined]),
      ...(igws.InternetGateways ?? []).map(
        (g) => ['internet-gateway', g.InternetGatewayId] as [string, string | undefined],
      ),
      ...(tables.RouteTables ?? []).map((t) => ['route-table', t.RouteTableId] as [string, string | undefined]),
      // moto keeps an instance's primary ENI after the instance is terminated; AWS deletes it with
      // the instance (EC2 User Guide, "Network interface attributes": delete on termination), so
      // it is not counted as left.
      ...(enis.NetworkInterfaces ?? [])
        .filter((n) => !(n.Attachment?.DeviceIndex === 0 && terminated.has(n.Attachment.InstanceId ?? '')))
        .map((n) => ['eni', n.NetworkInterfaceId] as [string, string | undefined]),
      ...(instances.Reservations ?? [])
        .flatMap((r) => r.Instances ?? [])
        .filter((i) => i.State?.Name !== 'terminated')
        .map((i) => ['ec2-instance', i.InstanceId] as [string, string | undefined]),
      ...(volumes.Volumes ?? []).map((v) => ['ebs-volume', v.VolumeId] as [string, string | undefined]),
      ...(addresses.Addresses ?? []).map((a) => ['elastic-ip', a.AllocationId] as [string, string | undefined]),
      ...(nats.NatGateways ?? [])
        .filter((n) => n.State !== 'deleted')
        .map((n) => ['nat-gateway', n.NatGatewayId] as [string, string | undefined]),
      ...(templates.LaunchTemplates ?? []).map(
        (t) => ['launch-template', t.LaunchTemplateId] as [string, string | undefined],
      ),
    ];
  },
  async (region) => {
    const { StackSummaries = [] } = await new CloudFormationClient(motoOptions(region)).send(new ListStacksCommand({}));
    return StackSummaries.filter((s) => s.StackStatus !== 'DELETE_COMPLETE').map((s) => [
      'cloudformation-stack',
      s.StackId,
    ]);
  },
  async (region) => {
    const eks = new EKSClient(motoOptions(region));
    const { clusters = [] } = await eks.send(new ListClustersCommand({}));
    const out: [string, string | undefined][] = clusters.map((c) => ['eks-cluster', c]);
    for (const clusterName of clusters) {
      const { nodegroups = [] } = await eks.send(new ListNodegroupsCommand({ clusterName }));
      out.push(...nodegroups.map((n): [string, string] => ['eks-nodegroup', `${clusterName}/${n}`]));
    }
    return out;
  },
  async (region) => {
    const elbv2 = new ElasticLoadBalancingV2Client(motoOptions(region));
    const { LoadBalancers = [] } = await elbv2.send(new DescribeLoadBalancersCommand({}));
    const { TargetGroups = [] } = await elbv2.send(new DescribeTargetGroupsCommand({}));
    const listeners = await Promise.all(
      LoadBalancers.map((lb) => elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))),
    );
    return [
      ...LoadBalancers.map((lb): [string, string | undefined] => ['load-balancer', lb.LoadBalancerArn]),
      ...TargetGroups.map((tg): [string, string | undefined] => ['target-group', tg.TargetGroupArn]),
      ...listeners
        .flatMap((l) => l.Listeners ?? [])
        .map((l): [string, string | undefined] => ['listener', l.ListenerArn]),
    ];
  },
];

/** IAM and Route53 are global. */
async function globalResources(): Promise<[string, string | undefined][]> {
  const iam = new IAMClient(motoOptions('us-east-1'));
  const out: [string, string | undefined][] = [];
  for await (const page of paginateListRoles({ client: iam }, {}))
    out.push(...(page.Roles ?? []).map((r): [string, string | undefined] => ['iam-role', r.Arn]));
  for await (const page of paginateListPolicies({ client: iam }, { Scope: 'Local' }))
    out.push(...(page.Policies ?? []).map((p): [string, string | undefined] => ['iam-policy', p.Arn]));
  const { OpenIDConnectProviderList = [] } = await iam.send(new ListOpenIDConnectProvidersCommand({}));
  out.push(...OpenIDConnectProviderList.map((p): [string, string | undefined] => ['iam-oidc-provider', p.Arn]));
  const { InstanceProfiles = [] } = await iam.send(new ListInstanceProfilesCommand({}));
  out.push(...InstanceProfiles.map((p): [string, string | undefined] => ['iam-instance-profile', p.Arn]));
  const r53 = new Route53Client(motoOptions('us-east-1'));
  const { HostedZones = [] } = await r53.send(new ListHostedZonesCommand({}));
  for (const zone of HostedZones) {
    out.push(['route53-zone', `${zone.Id} ${zone.Name}`]);
    const { ResourceRecordSets = [] } = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone.Id }));
    out.push(...ResourceRecordSets.map((r): [string, string] => ['route53-record', `${zone.Id} ${r.Name} ${r.Type}`]));
  }
  return out;
}

async function kubeGet<T>(kc: KubeConfig, path: string): Promise<T> {
  const server = new URL(kc.getCurrentCluster()!.server);
  const opts: RequestOptions = { host: server.hostname, port: server.port, path, method: 'GET' };
  await kc.applyToHTTPSOptions(opts);
  return new Promise((ok, fail) => {
    const req = request(opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if ((res.statusCode ?? 500) >= 300) fail(new Error(`GET ${path}: ${res.statusCode} ${text.slice(0, 200)}`));
        else ok(JSON.parse(text) as T);
      });
    });
    req.on('error', fail);
    req.end();
  });
}

interface ApiResourceList {
  groupVersion: string;
  resources: { name: string; kind: string; verbs: string[] }[];
}

/** Every object of every listable resource type the API server serves (found by discovery). */
async function apiServerObjects(cluster: string): Promise<InventoryItem[]> {
  const kc = kwokKubeConfig(cluster);
  const groups = await kubeGet<{ groups: { preferredVersion: { groupVersion: string } }[] }>(kc, '/apis');
  const paths = ['/api/v1', ...groups.groups.map((g) => `/apis/${g.preferredVersion.groupVersion}`)];
  const out: InventoryItem[] = [];
  for (const base of paths) {
    const list = await kubeGet<ApiResourceList>(kc, base);
    for (const r of list.resources) {
      if (r.name.includes('/') || !r.verbs.includes('list')) continue;
      // Events come and go by themselves, leases are renewed by the control plane: neither is made by a lab.
      if (['events', 'leases'].includes(r.name)) continue;
      const items = await kubeGet<{ items: { metadata: { namespace?: string; name: string; uid: string } }[] }>(
        kc,
        `${base}/${r.name}`,
      );
      for (const o of items.items)
        out.push({
          where: `apiserver ${cluster}`,
          kind: `${r.kind}.${list.groupVersion}`,
          id: `${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name} ${o.metadata.uid}`,
        });
    }
  }
  return out;
}

/** Every region moto serves. */
export async function allRegions(): Promise<string[]> {
  const { Regions = [] } = await new EC2Client(motoOptions(sandboxRegion)).send(new DescribeRegionsCommand({}));
  return Regions.map((r) => r.RegionName!);
}

/**
 * The inventory of the given regions (plus the global services and every API server). Listing
 * all ~30 regions takes moto half a minute on this machine, so batches list the labs' region
 * and the suite lists every region once at its start and once at its end.
 */
export async function takeInventory(regions: string[]): Promise<Inventory> {
  const items: InventoryItem[] = [];
  const add = (where: string, found: [string, string | undefined][]): void => {
    for (const [kind, id] of found) if (id) items.push({ where, kind, id });
  };
  // A few regions at a time: moto is one process, and the machine is shared.
  for (let i = 0; i < regions.length; i += 4) {
    await Promise.all(
      regions.slice(i, i + 4).map(async (region) => {
        for (const list of regional) add(`moto ${region}`, await list(region));
      }),
    );
  }
  add('moto global', await globalResources());
  for (const cluster of kwokClusters()) {
    // A control plane being created or deleted right now may not answer; what it holds is counted when it does.
    items.push(
      ...(await apiServerObjects(cluster).catch((err: Error) => [
        { where: `apiserver ${cluster}`, kind: 'unreachable', id: err.message.slice(0, 120) },
      ])),
    );
  }
  return new Map(items.map((i) => [keyOf(i), i]));
}

/** What is in `after` and was not in `before`. */
export const newSince = (before: Inventory, after: Inventory): InventoryItem[] =>
  [...after].filter(([k]) => !before.has(k)).map(([, v]) => v);
