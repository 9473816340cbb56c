// The CloudFormation part of the gateway. moto creates a stack at once and cannot delete some
// EC2 resource types it created (route tables, routes, internet gateways), so a stack holding
// them fails to delete with "VPC has dependencies". This adds AWS's timing (IN_PROGRESS until
// the latency profile's time has passed) and finishes the deletion moto cannot do.
import { DescribeStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import {
  DeleteInternetGatewayCommand,
  DeleteRouteTableCommand,
  DescribeInternetGatewaysCommand,
  DescribeRouteTablesCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
} from '@aws-sdk/client-ec2';
import { moto } from './aws.js';
import type { GatewayResponse } from './http.js';
import type { LatencyProfile } from './latency.js';
import type { AwsCall } from './protocol.js';

type Forward = (call: AwsCall) => Promise<GatewayResponse>;

export class CloudFormationEmulator {
  private readonly createdAt = new Map<string, number>();

  constructor(private readonly profile: () => LatencyProfile) {}

  async handle(call: AwsCall, forward: Forward): Promise<GatewayResponse> {
    if (call.operation === 'DeleteStack')
      await this.deleteWhatMotoCannot(new URLSearchParams(call.body.toString()).get('StackName'));
    const res = await forward(call);
    if (res.status !== 200) return res;
    if (call.operation === 'CreateStack') {
      const id = /<StackId>([^<]+)<\/StackId>/.exec(res.body.toString())?.[1];
      if (id) this.createdAt.set(id, Date.now());
    }
    if (call.operation === 'DescribeStacks') return { ...res, body: this.inProgress(res.body.toString()) };
    return res;
  }

  /** Reports CREATE_IN_PROGRESS for stacks younger than the profile's creation time. */
  private inProgress(xml: string): string {
    for (const [id, at] of this.createdAt) {
      if (Date.now() - at >= this.profile().stackCreateMs) {
        this.createdAt.delete(id);
        continue;
      }
      const start = xml.indexOf(`<StackId>${id}</StackId>`);
      if (start < 0) continue;
      const next = xml.indexOf('<StackId>', start + 1);
      const end = next < 0 ? xml.length : next;
      const section = xml
        .slice(start, end)
        .replace('<StackStatus>CREATE_COMPLETE</StackStatus>', '<StackStatus>CREATE_IN_PROGRESS</StackStatus>');
      xml = xml.slice(0, start) + section + xml.slice(end);
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
