// EC2 look-ups the lab needs: the region's zones and the instance type's network limits (for
// validation and the capacity maths), and each node's ENIs with their secondary IPs (the VPC CNI's
// pool that pod IPs come from).
import {
  DescribeAvailabilityZonesCommand,
  DescribeInstanceTypesCommand,
  DescribeRegionsCommand,
  EC2Client,
  paginateDescribeInstances,
  paginateDescribeInstanceTypeOfferings,
  type Filter,
  type Instance,
  paginateDescribeNetworkInterfaces,
} from '@aws-sdk/client-ec2';
import { maxPodsPerNode } from '../lab/capacity.js';
import type { EniRecord } from '../lab/report.js';
import { clusterName } from './eks.js';
import { classifying } from './errors.js';
import { allPages } from './pages.js';
import { awsClientOptions, type Target } from './target.js';

export interface InstanceLimits {
  instanceType: string;
  maxEnis: number;
  ipv4PerEni: number;
  maxPods: number;
}

/** The region of the partition that is always enabled: the one to ask about the partition's other regions. */
const partitionAnchor = (region: string): string =>
  region.startsWith('cn-') ? 'cn-north-1' : region.startsWith('us-gov-') ? 'us-gov-west-1' : 'us-east-1';

/** The regions of the account's partition with their opt-in status, as one region answers it. */
async function regionsAsSeenFrom(target: Target, region: string) {
  const ec2 = new EC2Client({ ...awsClientOptions(target), region });
  const { Regions = [] } = await ec2.send(new DescribeRegionsCommand({ AllRegions: true }));
  ec2.destroy();
  return Regions;
}

/**
 * Why this account cannot run a lab in the region, or undefined when it can (EC2 API reference,
 * DescribeRegions; AWS Account Management guide, "Specify which AWS Regions your account can
 * use"). The region itself is asked first; one that does not exist has no endpoint, and one not
 * enabled refuses calls, so then the partition's anchor region is asked. When neither answers (a
 * policy that denies the call, say), the look-ups that follow will say what is wrong.
 */
export async function regionProblem(target: Target, region: string): Promise<string | undefined> {
  const regions = await regionsAsSeenFrom(target, region).catch(() =>
    regionsAsSeenFrom(target, partitionAnchor(region)).catch(() => undefined),
  );
  if (!regions) return undefined;
  const found = regions.find((r) => r.RegionName === region);
  if (!found) {
    const enabled = regions.filter((r) => r.OptInStatus !== 'not-opted-in').map((r) => r.RegionName);
    return `${region} is not an AWS region; this account can use ${enabled.sort().join(', ')}`;
  }
  if (found.OptInStatus === 'not-opted-in')
    return `${region} is an opt-in region this account has not enabled: enable it (AWS console, Account, AWS Regions) or choose another`;
  return undefined;
}

/**
 * The region's availability zones where the instance type is offered. Local and Wavelength zones
 * are left out (EKS node groups belong in availability zones), and so are zones that do not offer
 * the type: a node group there would never get its instances.
 */
export async function availableZones(target: Target, instanceType: string): Promise<string[]> {
  const ec2 = new EC2Client(awsClientOptions(target));
  const { AvailabilityZones = [] } = await classifying('describe zones', () =>
    ec2.send(
      new DescribeAvailabilityZonesCommand({
        Filters: [
          { Name: 'state', Values: ['available'] },
          { Name: 'zone-type', Values: ['availability-zone'] },
        ],
      }),
    ),
  );
  const offered = new Set<string>();
  await classifying('describe instance type offerings', async () => {
    const pages = paginateDescribeInstanceTypeOfferings(
      { client: ec2 },
      { LocationType: 'availability-zone', Filters: [{ Name: 'instance-type', Values: [instanceType] }] },
    );
    for await (const page of pages) for (const o of page.InstanceTypeOfferings ?? []) offered.add(o.Location!);
  });
  return AvailabilityZones.map((z) => z.ZoneName!)
    .filter((z) => offered.has(z))
    .sort();
}

/** The instance type's ENI limits, or undefined when EC2 does not offer it in the region. */
export async function instanceLimits(target: Target, instanceType: string): Promise<InstanceLimits | undefined> {
  const ec2 = new EC2Client(awsClientOptions(target));
  try {
    const { InstanceTypes = [] } = await ec2.send(
      new DescribeInstanceTypesCommand({ InstanceTypes: [instanceType as never] }),
    );
    const net = InstanceTypes[0]?.NetworkInfo;
    if (!net?.MaximumNetworkInterfaces || !net.Ipv4AddressesPerInterface) return undefined;
    return {
      instanceType,
      maxEnis: net.MaximumNetworkInterfaces,
      ipv4PerEni: net.Ipv4AddressesPerInterface,
      maxPods: maxPodsPerNode(net.MaximumNetworkInterfaces, net.Ipv4AddressesPerInterface),
    };
  } catch (err) {
    if (/InvalidInstanceType|InvalidParameterValue/.test((err as Error).name)) return undefined;
    throw err;
  }
}

/** Every ENI attached to the given instances, keyed back to the node name. */
export async function nodeEnis(target: Target, nodesByInstance: Record<string, string>): Promise<EniRecord[]> {
  const ids = Object.keys(nodesByInstance);
  if (ids.length === 0) return [];
  const ec2 = new EC2Client(awsClientOptions(target));
  const enis = await allPages(
    'describe ENIs',
    paginateDescribeNetworkInterfaces({ client: ec2 }, { Filters: [{ Name: 'attachment.instance-id', Values: ids }] }),
    (page) => page.NetworkInterfaces,
  );
  return enis
    .map((eni) => ({
      eniId: eni.NetworkInterfaceId!,
      node: nodesByInstance[eni.Attachment?.InstanceId ?? ''] ?? '',
      deviceIndex: eni.Attachment?.DeviceIndex ?? 0,
      primaryIp: eni.PrivateIpAddress ?? '',
      secondaryIps: (eni.PrivateIpAddresses ?? []).filter((a) => !a.Primary).map((a) => a.PrivateIpAddress!),
    }))
    .sort((a, b) => a.node.localeCompare(b.node) || a.deviceIndex - b.deviceIndex);
}

/** Instances that are not (being) terminated, from every page of DescribeInstances. */
export async function liveInstances(target: Target, Filters: Filter[]): Promise<Instance[]> {
  const ec2 = new EC2Client(awsClientOptions(target));
  const out: Instance[] = [];
  await classifying('describe instances', async () => {
    for await (const page of paginateDescribeInstances({ client: ec2 }, { Filters }))
      out.push(...(page.Reservations ?? []).flatMap((r) => r.Instances ?? []));
  });
  return out.filter((i) => !['terminated', 'shutting-down'].includes(i.State?.Name ?? ''));
}

/**
 * The lab's node instances. Node-group tags do not reach EC2 instances (EKS user guide, managed
 * node groups: tagging), so they are found by the tag EKS itself puts on them, not the lab's.
 */
export const labInstances = (target: Target, labId: string): Promise<Instance[]> =>
  liveInstances(target, [{ Name: 'tag:eks:cluster-name', Values: [clusterName(labId)] }]);
