// The EC2 part of the gateway: what moto 5.2.5 does differently from EC2 for the calls the lab,
// the Load Balancer Controller and the VPC CNI make. The filter `addresses.private-ip-address`
// finds an ENI by any of its private IPs (moto only looks at the primary one); deleting a security
// group or subnet that an ENI still uses fails with DependencyViolation (moto deletes it); and the
// addresses EC2 picks for an ENI (CreateNetworkInterface without an address,
// AssignPrivateIpAddresses with SecondaryPrivateIpAddressCount) are free ones of its subnet, never
// AWS's reserved ones (moto picks at random, clashes included).
import {
  DeleteNetworkInterfaceCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  DetachNetworkInterfaceCommand,
  type Filter,
} from '@aws-sdk/client-ec2';
import { moto } from './aws.js';
import type { GatewayResponse } from './http.js';
import { awsError, type AwsCall } from './protocol.js';
import { childElements, elementTexts, findElement } from './xml.js';

type Forward = (call: AwsCall) => Promise<GatewayResponse>;

/** How the VPC CNI describes the ENIs it creates: `aws-K8S-<instance id>`. */
export const cniEniDescription = 'aws-K8S-';

/**
 * What EC2 does to a terminated instance's ENIs and moto does not: the primary ENI made at
 * launch and the ENIs the VPC CNI attached (it sets DeleteOnTermination on them) are deleted;
 * any other ENI is detached and kept (EC2 user guide, "Delete on termination" of network
 * interface attributes).
 */
export async function releaseEnisOfTerminated(instanceIds: string[]): Promise<void> {
  if (instanceIds.length === 0) return;
  const { NetworkInterfaces = [] } = await moto.ec2.send(
    new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: instanceIds }] }),
  );
  for (const eni of NetworkInterfaces) {
    const deleteOnTermination =
      (eni.Attachment?.DeviceIndex ?? 0) === 0 || (eni.Description ?? '').startsWith(cniEniDescription);
    if (eni.Attachment?.AttachmentId && !deleteOnTermination)
      await moto.ec2.send(
        new DetachNetworkInterfaceCommand({ AttachmentId: eni.Attachment.AttachmentId, Force: true }),
      );
    if (deleteOnTermination)
      await moto.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni.NetworkInterfaceId }));
  }
}

/** The query protocol's parameters travel in the form body (the SDK) or the query string. */
function params(call: AwsCall): URLSearchParams {
  return call.method === 'POST' && call.body.length > 0
    ? new URLSearchParams(call.body.toString())
    : new URLSearchParams(call.query);
}

function withParams(call: AwsCall, p: URLSearchParams): AwsCall {
  return call.method === 'POST' && call.body.length > 0
    ? { ...call, body: Buffer.from(p.toString()) }
    : { ...call, query: p };
}

/** ENIs in moto matching the filter, whatever the gateway's page size. */
async function enisWhere(filter: Filter): Promise<string[]> {
  const { NetworkInterfaces = [] } = await moto.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [filter] }));
  return NetworkInterfaces.map((n) => n.NetworkInterfaceId!);
}

const toInt = (ip: string): number => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const toIp = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

/**
 * `count` addresses of the subnet that no ENI holds, from the highest down. Taking them from the
 * top keeps clear of the addresses moto hands to new instances, which it counts up from the bottom
 * without looking at secondary addresses. AWS reserves the first four and the last of a subnet.
 */
async function freeAddresses(subnetId: string, count: number): Promise<string[]> {
  const [{ Subnets = [] }, { NetworkInterfaces = [] }] = await Promise.all([
    moto.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] })),
    moto.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'subnet-id', Values: [subnetId] }] })),
  ]);
  const [base, bits] = Subnets[0]!.CidrBlock!.split('/');
  const taken = new Set(NetworkInterfaces.flatMap((n) => (n.PrivateIpAddresses ?? []).map((a) => a.PrivateIpAddress!)));
  const first = toInt(base!);
  const picked: string[] = [];
  for (let n = first + 2 ** (32 - Number(bits)) - 2; n >= first + 4 && picked.length < count; n--)
    if (!taken.has(toIp(n))) picked.push(toIp(n));
  return picked;
}

/** The answer with only those items of its `list` that hold one of the addresses (`privateIpAddress`). */
function itemsHolding(res: GatewayResponse, list: string, addresses: Set<string>): GatewayResponse {
  if (res.status !== 200) return res;
  const body = res.body.toString();
  const found = findElement(body, list);
  if (!found) return res;
  const kept = childElements(body.slice(found.innerStart, found.innerEnd), 'item').filter((item) =>
    elementTexts(item, 'privateIpAddress').some((ip) => addresses.has(ip)),
  );
  return { ...res, body: `${body.slice(0, found.start)}<${list}>${kept.join('')}</${list}>${body.slice(found.end)}` };
}

const insufficientAddresses = (subnetId: string): GatewayResponse =>
  awsError(
    'ec2',
    'InsufficientFreeAddressesInSubnet',
    `The specified subnet ${subnetId} does not have enough free addresses to satisfy the request.`,
    400,
  );

export class Ec2Emulator {
  /** Subnet → the address pick under way there: picks in one subnet wait for each other. */
  private readonly picking = new Map<string, Promise<unknown>>();

  async handle(call: AwsCall, forward: Forward): Promise<GatewayResponse> {
    switch (call.operation) {
      case 'CreateNetworkInterface':
        return params(call).has('PrivateIpAddress') ? forward(call) : this.createNetworkInterface(call, forward);
      case 'AssignPrivateIpAddresses':
        return params(call).has('SecondaryPrivateIpAddressCount')
          ? this.assignPrivateIpAddresses(call, forward)
          : forward(call);
      case 'DescribeNetworkInterfaces':
        return this.describeNetworkInterfaces(call, forward);
      case 'DeleteSecurityGroup': {
        const groupId = params(call).get('GroupId');
        const users = groupId ? await enisWhere({ Name: 'group-id', Values: [groupId] }) : [];
        // EC2 API reference, DeleteSecurityGroup: a group associated with an instance or network
        // interface cannot be deleted (DependencyViolation).
        if (users.length > 0)
          return awsError('ec2', 'DependencyViolation', `resource ${groupId} has a dependent object`, 400);
        return forward(call);
      }
      case 'DeleteSubnet': {
        const subnetId = params(call).get('SubnetId');
        const users = subnetId ? await enisWhere({ Name: 'subnet-id', Values: [subnetId] }) : [];
        // EC2 API reference, DeleteSubnet: running instances (their ENIs) block the delete; any
        // ENI left in the subnet blocks it the same way.
        if (users.length > 0)
          return awsError(
            'ec2',
            'DependencyViolation',
            `The subnet '${subnetId}' has dependencies and cannot be deleted.`,
            400,
          );
        return forward(call);
      }
      case 'TerminateInstances': {
        const res = await forward(call);
        const ids = [...params(call).entries()].filter(([k]) => /^InstanceId\.\d+$/.test(k)).map(([, v]) => v);
        if (res.status === 200) await releaseEnisOfTerminated(ids);
        return res;
      }
      default:
        return forward(call);
    }
  }

  /** Runs `pick` (choose addresses, then have moto take them) after any other pick in the subnet. */
  private inSubnet(subnetId: string, pick: () => Promise<GatewayResponse>): Promise<GatewayResponse> {
    const previous = this.picking.get(subnetId) ?? Promise.resolve();
    const mine = previous.catch(() => undefined).then(pick);
    this.picking.set(subnetId, mine);
    void mine.finally(() => {
      if (this.picking.get(subnetId) === mine) this.picking.delete(subnetId);
    });
    return mine;
  }

  /** A new ENI gets a free address of its subnet as its primary one. */
  private createNetworkInterface(call: AwsCall, forward: Forward): Promise<GatewayResponse> {
    const p = params(call);
    const subnetId = p.get('SubnetId') ?? '';
    return this.inSubnet(subnetId, async () => {
      const [address] = await freeAddresses(subnetId, 1);
      if (!address) return insufficientAddresses(subnetId);
      p.set('PrivateIpAddress', address);
      return forward(withParams(call, p));
    });
  }

  /**
   * SecondaryPrivateIpAddressCount: EC2 picks that many free addresses of the ENI's subnet and
   * answers with those (AssignedPrivateIpAddresses); moto would answer with all of the ENI's.
   */
  private async assignPrivateIpAddresses(call: AwsCall, forward: Forward): Promise<GatewayResponse> {
    const p = params(call);
    const { NetworkInterfaces = [] } = await moto.ec2
      .send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [p.get('NetworkInterfaceId') ?? ''] }))
      .catch(() => ({ NetworkInterfaces: [] }));
    const subnetId = NetworkInterfaces[0]?.SubnetId;
    if (!subnetId) return forward(call); // moto answers for an ENI it does not know
    const count = Number(p.get('SecondaryPrivateIpAddressCount'));
    return this.inSubnet(subnetId, async () => {
      const picked = await freeAddresses(subnetId, count);
      if (picked.length < count) return insufficientAddresses(subnetId);
      p.delete('SecondaryPrivateIpAddressCount');
      picked.forEach((ip, i) => p.set(`PrivateIpAddress.${i + 1}`, ip));
      return itemsHolding(await forward(withParams(call, p)), 'assignedPrivateIpAddressesSet', new Set(picked));
    });
  }

  /**
   * moto matches `addresses.private-ip-address` against the primary IP only; EC2 matches any of
   * the ENI's private IPv4 addresses (DescribeNetworkInterfaces, filter list). The gateway
   * applies that filter itself.
   */
  private async describeNetworkInterfaces(call: AwsCall, forward: Forward): Promise<GatewayResponse> {
    const p = params(call);
    const wanted = new Set<string>();
    for (const [key, value] of [...p.entries()]) {
      const m = /^Filter\.(\d+)\.Name$/.exec(key);
      if (!m || value !== 'addresses.private-ip-address') continue;
      for (const k of [...p.keys()].filter((k) => k.startsWith(`Filter.${m[1]}.`))) {
        if (k.startsWith(`Filter.${m[1]}.Value.`)) wanted.add(p.get(k)!);
        p.delete(k);
      }
    }
    if (wanted.size === 0) return forward(call);
    return itemsHolding(await forward(withParams(call, p)), 'networkInterfaceSet', wanted);
  }
}
