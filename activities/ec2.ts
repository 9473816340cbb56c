// EC2 look-ups the lab needs: the region's zones and the instance type's network limits (for
// validation and the capacity maths), and each node's ENIs with their secondary IPs (the VPC CNI's
// pool that pod IPs come from).
import {
  DescribeAvailabilityZonesCommand,
  DescribeInstanceTypesCommand,
  EC2Client,
  paginateDescribeNetworkInterfaces,
} from '@aws-sdk/client-ec2';
import { maxPodsPerNode } from '../lab/capacity.js';
import type { EniRecord } from '../lab/report.js';
import { attempt } from './errors.js';
import { allPages } from './pages.js';
import { awsClientOptions, type Target } from './target.js';

export interface InstanceLimits {
  instanceType: string;
  maxEnis: number;
  ipv4PerEni: number;
  maxPods: number;
}

export async function availableZones(target: Target): Promise<string[]> {
  const ec2 = new EC2Client(awsClientOptions(target));
  const { AvailabilityZones = [] } = await attempt('describe zones', () =>
    ec2.send(new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'state', Values: ['available'] }] })),
  );
  return AvailabilityZones.map((z) => z.ZoneName!).sort();
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
