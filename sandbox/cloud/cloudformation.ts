// The CloudFormation part of the gateway. moto creates a stack at once and cannot delete some
// EC2 resource types it created (route tables, routes, internet gateways), so a stack holding
// them fails to delete with "VPC has dependencies". This adds AWS's timing (IN_PROGRESS until
// the latency profile's time has passed) and finishes the deletion moto cannot do. moto also
// ignores an AWS::IAM::Role's ManagedPolicyArns; they are attached here after the stack is made
// and detached before it is deleted, as CloudFormation does (so the lab's node role carries the
// AWS managed policies it names, which the gateway evaluates for pods without IRSA).
import { DescribeStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import {
  DeleteInternetGatewayCommand,
  DeleteRouteTableCommand,
  DescribeInternetGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
} from '@aws-sdk/client-ec2';
import {
  AttachRolePolicyCommand,
  DetachRolePolicyCommand,
  paginateListAttachedRolePolicies,
} from '@aws-sdk/client-iam';
import { parse } from 'yaml';
import { moto } from './aws.js';
import type { GatewayResponse } from './http.js';
import type { LatencyProfile } from './latency.js';
import type { AwsCall } from './protocol.js';
import { recordTransition } from './transitions.js';
import { escapeXml } from './xml.js';

type Forward = (call: AwsCall) => Promise<GatewayResponse>;

export class CloudFormationEmulator {
  private readonly createdAt = new Map<string, number>();
  /** Stacks whose last delete failed on a dependency, by stack id: the resource and the reason. */
  private readonly deleteFailed = new Map<string, { logicalId: string; type: string; reason: string }>();

  constructor(private readonly profile: () => LatencyProfile) {}

  async handle(call: AwsCall, forward: Forward): Promise<GatewayResponse> {
    if (call.operation === 'DeleteStack') {
      const stackName = new URLSearchParams(call.body.toString()).get('StackName');
      if (await this.blockedByDependency(stackName)) return deleteStackAccepted();
      await this.deleteWhatMotoCannot(stackName);
    }
    const res = await forward(call);
    if (res.status !== 200) return res;
    // moto deletes a stack before it answers: it is DELETE_COMPLETE from here on.
    if (call.operation === 'DeleteStack')
      recordTransition(
        'stack',
        stackNameOf(new URLSearchParams(call.body.toString()).get('StackName') ?? ''),
        'DELETE_COMPLETE',
      );
    if (call.operation === 'CreateStack') {
      const id = /<StackId>([^<]+)<\/StackId>/.exec(res.body.toString())?.[1];
      if (id) {
        await attachManagedPolicies(id, new URLSearchParams(call.body.toString()).get('TemplateBody'));
        // The stack's creation time runs from the answer on.
        this.createdAt.set(id, Date.now());
        recordTransition('stack', stackNameOf(id), 'CREATE_COMPLETE', Date.now() + this.profile().stackCreateMs);
      }
    }
    if (call.operation === 'DescribeStacks')
      return { ...res, body: this.withDeleteFailures(this.inProgress(res.body.toString())) };
    if (call.operation === 'DescribeStackEvents') return { ...res, body: this.withFailureEvents(res.body.toString()) };
    return res;
  }

  /**
   * CloudFormation deletes a stack's resources and fails on the VPC's when something outside the
   * stack still uses them: an ENI in a subnet (DeleteSubnet) or a security group in the VPC that
   * the stack did not make, such as a load balancer's (DeleteVpc) — DependencyViolation, and the
   * stack ends DELETE_FAILED (CloudFormation user guide, "Delete a stack that fails to delete").
   */
  private async blockedByDependency(stackName: string | null): Promise<boolean> {
    if (!stackName) return false;
    const resources = await moto.cloudformation
      .send(new DescribeStackResourcesCommand({ StackName: stackName }))
      .then((r) => r.StackResources ?? [])
      .catch(() => []);
    const stackId = resources[0]?.StackId;
    if (!stackId) return false;
    this.deleteFailed.delete(stackId);
    const own = new Set(resources.map((r) => r.PhysicalResourceId));
    for (const vpc of resources.filter((r) => r.ResourceType === 'AWS::EC2::VPC' && r.PhysicalResourceId)) {
      const vpcId = vpc.PhysicalResourceId!;
      const inVpc = [{ Name: 'vpc-id', Values: [vpcId] }];
      const { NetworkInterfaces = [] } = await moto.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: inVpc }));
      const { SecurityGroups = [] } = await moto.ec2.send(new DescribeSecurityGroupsCommand({ Filters: inVpc }));
      const eni = NetworkInterfaces[0];
      const subnet = resources.find((r) => r.PhysicalResourceId === eni?.SubnetId);
      const group = SecurityGroups.find((g) => g.GroupName !== 'default' && !own.has(g.GroupId));
      const failure = eni
        ? {
            logicalId: subnet?.LogicalResourceId ?? vpc.LogicalResourceId!,
            type: subnet ? 'AWS::EC2::Subnet' : 'AWS::EC2::VPC',
            reason: `The subnet '${eni.SubnetId}' has dependencies and cannot be deleted. (Service: Ec2, Status Code: 400, Error Code: DependencyViolation)`,
          }
        : group
          ? {
              logicalId: vpc.LogicalResourceId!,
              type: 'AWS::EC2::VPC',
              reason: `The vpc '${vpcId}' has dependencies and cannot be deleted. (Service: Ec2, Status Code: 400, Error Code: DependencyViolation)`,
            }
          : undefined;
      if (failure) {
        this.deleteFailed.set(stackId, failure);
        return true;
      }
    }
    return false;
  }

  private withDeleteFailures(xml: string): string {
    for (const [id, failure] of this.deleteFailed) {
      xml = editStack(xml, id, (section) =>
        section
          .replace(/<StackStatus>[^<]*<\/StackStatus>/, '<StackStatus>DELETE_FAILED</StackStatus>')
          .replace(/<StackStatusReason>[^<]*<\/StackStatusReason>/, '')
          .replace(
            '<StackStatus>',
            `<StackStatusReason>The following resource(s) failed to delete: [${failure.logicalId}]. </StackStatusReason><StackStatus>`,
          ),
      );
    }
    return xml;
  }

  /** The failed resource's DELETE_FAILED event, newest first, as CloudFormation records it. */
  private withFailureEvents(xml: string): string {
    for (const [id, failure] of this.deleteFailed) {
      if (!xml.includes(`<StackId>${id}</StackId>`)) continue;
      const event = [
        `<member><StackId>${id}</StackId><EventId>${crypto.randomUUID()}</EventId>`,
        `<StackName>${escapeXml(stackNameOf(id))}</StackName>`,
        `<LogicalResourceId>${failure.logicalId}</LogicalResourceId><ResourceType>${failure.type}</ResourceType>`,
        `<Timestamp>${new Date().toISOString()}</Timestamp><ResourceStatus>DELETE_FAILED</ResourceStatus>`,
        `<ResourceStatusReason>${escapeXml(failure.reason)}</ResourceStatusReason></member>`,
      ].join('');
      xml = xml.replace('<StackEvents>', `<StackEvents>${event}`);
    }
    return xml;
  }

  /** Reports CREATE_IN_PROGRESS for stacks younger than the profile's creation time. */
  private inProgress(xml: string): string {
    for (const [id, at] of this.createdAt) {
      if (Date.now() - at >= this.profile().stackCreateMs) {
        this.createdAt.delete(id);
        continue;
      }
      xml = editStack(xml, id, (section) =>
        section.replace('<StackStatus>CREATE_COMPLETE</StackStatus>', '<StackStatus>CREATE_IN_PROGRESS</StackStatus>'),
      );
    }
    return xml;
  }

  private async deleteWhatMotoCannot(stackName: string | null): Promise<void> {
    if (!stackName) return;
    const resources = await moto.cloudformation
      .send(new DescribeStackResourcesCommand({ StackName: stackName }))
      .then((r) => r.StackResources ?? [])
      .catch(() => []);
    const ids = (type: string): string[] =>
      resources.filter((r) => r.ResourceType === type && r.PhysicalResourceId).map((r) => r.PhysicalResourceId!);
    for (const roleName of ids('AWS::IAM::Role')) {
      const attached: string[] = [];
      for await (const page of paginateListAttachedRolePolicies({ client: moto.iam }, { RoleName: roleName }))
        attached.push(...(page.AttachedPolicies ?? []).map((p) => p.PolicyArn!));
      for (const PolicyArn of attached)
        await moto.iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn }));
    }
    for (const id of ids('AWS::EC2::RouteTable')) {
      const { RouteTables = [] } = await moto.ec2
        .send(new DescribeRouteTablesCommand({ RouteTableIds: [id] }))
        .catch(() => ({ RouteTables: [] }));
      for (const assoc of RouteTables[0]?.Associations ?? []) {
        if (!assoc.Main)
          await moto.ec2.send(new DisassociateRouteTableCommand({ AssociationId: assoc.RouteTableAssociationId }));
      }
      if (RouteTables.length) await moto.ec2.send(new DeleteRouteTableCommand({ RouteTableId: id }));
    }
    for (const id of ids('AWS::EC2::InternetGateway')) {
      const { InternetGateways = [] } = await moto.ec2
        .send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: [id] }))
        .catch(() => ({ InternetGateways: [] }));
      for (const a of InternetGateways[0]?.Attachments ?? []) {
        await moto.ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: id, VpcId: a.VpcId }));
      }
      if (InternetGateways.length) await moto.ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: id }));
    }
  }
}

/** Attaches each AWS::IAM::Role's ManagedPolicyArns (literal ARNs) to the role the stack made. */
async function attachManagedPolicies(stackId: string, templateBody: string | null): Promise<void> {
  // CloudFormation's JSON is YAML too; short-form tags (!Ref) parse as plain values, which is enough here.
  const template = templateBody
    ? (parse(templateBody, { logLevel: 'silent' }) as {
        Resources?: Record<string, { Type?: string; Properties?: { ManagedPolicyArns?: unknown[] } }>;
      })
    : undefined;
  const roles = Object.entries(template?.Resources ?? {}).filter(([, r]) => r.Type === 'AWS::IAM::Role');
  if (roles.length === 0) return;
  const { StackResources = [] } = await moto.cloudformation.send(
    new DescribeStackResourcesCommand({ StackName: stackId }),
  );
  for (const [logicalId, role] of roles) {
    const roleName = StackResources.find((r) => r.LogicalResourceId === logicalId)?.PhysicalResourceId;
    const arns = (role.Properties?.ManagedPolicyArns ?? []).filter((a): a is string => typeof a === 'string');
    if (roleName)
      for (const PolicyArn of arns) await moto.iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn }));
  }
}

/** A stack's name from its name or id (`arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>`). */
const stackNameOf = (nameOrId: string): string => nameOrId.split('/')[1] ?? nameOrId;

/** DeleteStack's answer: CloudFormation accepts the request; failures show on the stack later. */
function deleteStackAccepted(): GatewayResponse {
  return {
    status: 200,
    headers: { 'content-type': 'text/xml' },
    body: `<DeleteStackResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><ResponseMetadata><RequestId>${crypto.randomUUID()}</RequestId></ResponseMetadata></DeleteStackResponse>`,
  };
}

/** Rewrites the part of a DescribeStacks answer that belongs to one stack (from its StackId to the next). */
function editStack(xml: string, id: string, edit: (section: string) => string): string {
  const start = xml.indexOf(`<StackId>${id}</StackId>`);
  if (start < 0) return xml;
  const next = xml.indexOf('<StackId>', start + 1);
  const end = next < 0 ? xml.length : next;
  return xml.slice(0, start) + edit(xml.slice(start, end)) + xml.slice(end);
}
