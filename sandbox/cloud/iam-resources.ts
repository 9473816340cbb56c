// Which IAM action, resource ARN and condition context an AWS call is authorized as: for the calls
// the AWS Load Balancer Controller and ExternalDNS make (ELBv2, EC2 security groups and ENIs,
// Route53), following each service's "Actions, resources, and condition keys" page of the Service
// Authorization Reference, and the ENI calls of the VPC CNI's ipamd. A create that carries tags is also an AddTags/CreateTags on the new
// resource, with the create action as `<service>:CreateAction` (tag on create).
import { DescribeNetworkInterfacesCommand, DescribeTagsCommand as DescribeEc2TagsCommand } from '@aws-sdk/client-ec2';
import { DescribeTagsCommand as DescribeElbTagsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { moto } from './aws.js';
import type { AwsCall } from './protocol.js';

export interface CallCheck {
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
}

interface Scope {
  region: string;
  account: string;
}

type Tags = Record<string, string>;

/** A query-protocol call's parameters: in the query string of a GET, else in the form body. */
export const callParams = (call: AwsCall): URLSearchParams =>
  call.method === 'GET' ? call.query : new URLSearchParams(call.body.toString());

/** Query-protocol members: `Prefix.1.Key`, `Prefix.member.1` and the like, in order. */
function members(params: URLSearchParams, pattern: RegExp): string[] {
  return [...params.entries()]
    .map(([k, v]) => [pattern.exec(k)?.[1], v] as const)
    .filter((e): e is readonly [string, string] => e[0] !== undefined)
    .sort((a, b) => Number(a[0]) - Number(b[0]))
    .map(([, v]) => v);
}

/** Tags given as `<prefix>.N.Key` / `<prefix>.N.Value`. */
function requestTags(params: URLSearchParams, prefix: string): Tags {
  const esc = prefix.replace(/\./g, '\\.');
  const keys = members(params, new RegExp(`^${esc}\\.(\\d+)\\.Key$`));
  const values = members(params, new RegExp(`^${esc}\\.(\\d+)\\.Value$`));
  return Object.fromEntries(keys.map((k, i) => [k, values[i] ?? '']));
}

const requestTagContext = (tags: Tags): CallCheck['context'] =>
  Object.keys(tags).length
    ? {
        ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])),
        'aws:TagKeys': Object.keys(tags),
      }
    : {};

const resourceTagContext = (tags: Tags): CallCheck['context'] =>
  Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));

/** An id for a resource that does not exist yet: policies match it by pattern, as AWS does. */
const newId = (): string => crypto.randomUUID().replace(/-/g, '').slice(0, 16);

async function elbTags(arn: string): Promise<Tags> {
  const out = await moto.elbv2.send(new DescribeElbTagsCommand({ ResourceArns: [arn] })).catch(() => undefined);
  return Object.fromEntries((out?.TagDescriptions?.[0]?.Tags ?? []).map((t) => [t.Key!, t.Value ?? '']));
}

async function ec2Tags(id: string): Promise<Tags> {
  const out = await moto.ec2
    .send(new DescribeEc2TagsCommand({ Filters: [{ Name: 'resource-id', Values: [id] }] }))
    .catch(() => undefined);
  return Object.fromEntries((out?.Tags ?? []).map((t) => [t.Key!, t.Value ?? '']));
}

// ELBv2: the parameter that names the resource an operation acts on.
const elbResourceParam: Record<string, string> = {
  DeleteLoadBalancer: 'LoadBalancerArn',
  ModifyLoadBalancerAttributes: 'LoadBalancerArn',
  SetIpAddressType: 'LoadBalancerArn',
  SetSecurityGroups: 'LoadBalancerArn',
  SetSubnets: 'LoadBalancerArn',
  DeleteTargetGroup: 'TargetGroupArn',
  ModifyTargetGroup: 'TargetGroupArn',
  ModifyTargetGroupAttributes: 'TargetGroupArn',
  RegisterTargets: 'TargetGroupArn',
  DeregisterTargets: 'TargetGroupArn',
  DeleteListener: 'ListenerArn',
  ModifyListener: 'ListenerArn',
  ModifyListenerAttributes: 'ListenerArn',
  DeleteRule: 'RuleArn',
  ModifyRule: 'RuleArn',
};

async function elbv2Checks(call: AwsCall, params: URLSearchParams, s: Scope): Promise<CallCheck[] | undefined> {
  const op = call.operation;
  const action = `elasticloadbalancing:${op}`;
  const base = `arn:aws:elasticloadbalancing:${s.region}:${s.account}`;
  const tags = requestTags(params, 'Tags.member');
  /** The create itself, and AddTags on what it makes when it carries tags. */
  const create = (arn: string): CallCheck[] => [
    { action, resource: arn, context: requestTagContext(tags) },
    ...(Object.keys(tags).length
      ? [
          {
            action: 'elasticloadbalancing:AddTags',
            resource: arn,
            context: { ...requestTagContext(tags), 'elasticloadbalancing:CreateAction': op },
          },
        ]
      : []),
  ];
  if (op.startsWith('Describe')) return [{ action, resource: '*', context: {} }];
  if (op === 'CreateLoadBalancer') {
    const kind = params.get('Type') === 'network' ? 'net' : params.get('Type') === 'gateway' ? 'gwy' : 'app';
    return create(`${base}:loadbalancer/${kind}/${params.get('Name')}/${newId()}`);
  }
  if (op === 'CreateTargetGroup') return create(`${base}:targetgroup/${params.get('Name')}/${newId()}`);
  if (op === 'CreateListener')
    return create(`${(params.get('LoadBalancerArn') ?? '').replace(':loadbalancer/', ':listener/')}/${newId()}`);
  if (op === 'CreateRule')
    return create(`${(params.get('ListenerArn') ?? '').replace(':listener/', ':listener-rule/')}/${newId()}`);
  if (op === 'AddTags' || op === 'RemoveTags') {
    const context =
      op === 'AddTags' ? requestTagContext(tags) : { 'aws:TagKeys': members(params, /^TagKeys\.member\.(\d+)$/) };
    return Promise.all(
      members(params, /^ResourceArns\.member\.(\d+)$/).map(async (arn) => ({
        action,
        resource: arn,
        context: { ...context, ...resourceTagContext(await elbTags(arn)) },
      })),
    );
  }
  const param = elbResourceParam[op];
  if (!param) return undefined;
  const arn = params.get(param) ?? '';
  return [{ action, resource: arn, context: resourceTagContext(await elbTags(arn)) }];
}

// EC2: resource types by id prefix, and the operations that act on the group named by GroupId.
const ec2ResourceTypes: Record<string, string> = {
  'sg-': 'security-group',
  'eni-': 'network-interface',
  'i-': 'instance',
  'subnet-': 'subnet',
  'vpc-': 'vpc',
};
const ec2GroupOperations = ['AuthorizeSecurityGroupIngress', 'RevokeSecurityGroupIngress', 'DeleteSecurityGroup'];
const ec2EniOperations = [
  'ModifyNetworkInterfaceAttribute',
  'AssignPrivateIpAddresses',
  'UnassignPrivateIpAddresses',
  'DeleteNetworkInterface',
];

/** The ENI and instance of an attachment (DetachNetworkInterface names only the attachment). */
async function attachmentParties(attachmentId: string): Promise<string[]> {
  const { NetworkInterfaces = [] } = await moto.ec2.send(
    new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.attachment-id', Values: [attachmentId] }] }),
  );
  const eni = NetworkInterfaces[0];
  return eni ? [eni.NetworkInterfaceId!, eni.Attachment!.InstanceId!] : [];
}

function ec2Arn(id: string, s: Scope): string | undefined {
  const type = Object.entries(ec2ResourceTypes).find(([prefix]) => id.startsWith(prefix))?.[1];
  return type && `arn:aws:ec2:${s.region}:${s.account}:${type}/${id}`;
}

async function ec2Checks(call: AwsCall, params: URLSearchParams, s: Scope): Promise<CallCheck[] | undefined> {
  const op = call.operation;
  const action = `ec2:${op}`;
  if (op.startsWith('Describe')) return [{ action, resource: '*', context: {} }];
  /** A create: the new resource (tags on create need ec2:CreateTags too) and those it is made in. */
  const create = (type: string, prefix: string, tags: Tags, within: (string | null)[]): CallCheck[] => {
    const arn = `arn:aws:ec2:${s.region}:${s.account}:${type}/${prefix}-${newId()}`;
    return [
      { action, resource: arn, context: requestTagContext(tags) },
      ...within.filter((id): id is string => !!id).map((id) => ({ action, resource: ec2Arn(id, s)!, context: {} })),
      ...(Object.keys(tags).length
        ? [{ action: 'ec2:CreateTags', resource: arn, context: { ...requestTagContext(tags), 'ec2:CreateAction': op } }]
        : []),
    ];
  };
  if (op === 'CreateSecurityGroup')
    return create('security-group', 'sg', requestTags(params, 'TagSpecification.1.Tag'), [params.get('VpcId')]);
  if (op === 'CreateNetworkInterface')
    return create('network-interface', 'eni', requestTags(params, 'TagSpecification.1.Tag'), [
      params.get('SubnetId'),
      ...members(params, /^SecurityGroupId\.(\d+)$/),
    ]);
  const ids =
    op === 'CreateTags' || op === 'DeleteTags'
      ? members(params, /^ResourceId\.(\d+)$/)
      : ec2GroupOperations.includes(op)
        ? [params.get('GroupId') ?? '']
        : ec2EniOperations.includes(op)
          ? [params.get('NetworkInterfaceId') ?? '']
          : op === 'AttachNetworkInterface'
            ? [params.get('NetworkInterfaceId') ?? '', params.get('InstanceId') ?? '']
            : op === 'DetachNetworkInterface'
              ? await attachmentParties(params.get('AttachmentId') ?? '')
              : undefined;
  if (!ids) return undefined;
  const context = op === 'CreateTags' ? requestTagContext(requestTags(params, 'Tag')) : {};
  const checks: CallCheck[] = [];
  for (const id of ids) {
    const resource = ec2Arn(id, s);
    if (!resource) return undefined;
    checks.push({ action, resource, context: { ...context, ...resourceTagContext(await ec2Tags(id)) } });
  }
  return checks;
}

/** Route53 names its resources without region or account: `arn:aws:route53:::hostedzone/<id>`. */
function route53Checks(call: AwsCall): CallCheck[] | undefined {
  const op = call.operation;
  const action = `route53:${op}`;
  const zone = /\/hostedzone\/([^/]+)/.exec(call.path)?.[1];
  const zoneArn = (id: string): string => `arn:aws:route53:::hostedzone/${id.replace(/^\/?hostedzone\//, '')}`;
  if (['ListHostedZones', 'ListHostedZonesByName', 'CreateHostedZone'].includes(op))
    return [{ action, resource: '*', context: {} }];
  if (op === 'ListTagsForResources') {
    const ids = [...call.body.toString().matchAll(/<ResourceId>([^<]+)<\/ResourceId>/g)].map((m) => m[1]!);
    return ids.map((id) => ({ action, resource: zoneArn(id), context: {} }));
  }
  if (op === 'GetChange')
    return [{ action, resource: `arn:aws:route53:::change/${call.path.split('/').pop()}`, context: {} }];
  if (zone) return [{ action, resource: zoneArn(zone), context: {} }];
  return undefined;
}

/**
 * The authorizations a call needs, or undefined when the call is not one the table knows (the
 * gateway then refuses it: an unknown call is never waved through). STS GetCallerIdentity needs
 * no permission (AWS STS API Reference, GetCallerIdentity).
 */
export async function callResources(call: AwsCall, scope: Scope): Promise<CallCheck[] | undefined> {
  if (call.service === 'sts' && call.operation === 'GetCallerIdentity') return [];
  const params = callParams(call);
  if (call.service === 'elasticloadbalancing') return elbv2Checks(call, params, scope);
  if (call.service === 'ec2') return ec2Checks(call, params, scope);
  if (call.service === 'route53') return route53Checks(call);
  return undefined;
}
