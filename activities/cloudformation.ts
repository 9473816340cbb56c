// LAB.md phase 1: the lab's network and IAM stack. Idempotent by name and ClientRequestToken;
// a rollback fails the lab at once, naming the first resource that failed and why.
import { readFileSync } from 'node:fs';
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
  paginateListStackResources,
  paginateDescribeStackEvents,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import type { LabSpec } from '../lab/spec.js';
import type { NetworkOutputs } from '../lab/report.js';
import { clusterName } from './eks.js';
import { classifying, nonRetryableFailure, orMissing } from './errors.js';
import { allPages } from './pages.js';
import { awsPolling, beforeCreate, waitFor } from './poll.js';
import { deleteSecurityGroups, labSecurityGroupsInVpc } from './securitygroups.js';
import { awsClientOptions, type Target } from './target.js';

export const networkTemplate = readFileSync(new URL('./templates/network.yaml', import.meta.url), 'utf8');
export const stackName = (labId: string): string => `${labId}-network`;
export const labTag = 'netlab.io/lab-id';

/** The stack, or undefined when CloudFormation says it does not exist (a ValidationError). */
async function describe(cfn: CloudFormationClient, name: string): Promise<Stack | undefined> {
  return (await orMissing(cfn.send(new DescribeStacksCommand({ StackName: name }))))?.Stacks?.[0];
}

/** The lab's stack as CloudFormation describes it, or undefined when there is none. */
export async function describeNetworkStack(target: Target, labId: string): Promise<Stack | undefined> {
  return classifying('describe stack', () =>
    describe(new CloudFormationClient(awsClientOptions(target)), stackName(labId)),
  );
}

/** The first failed resource of a rolled-back stack, with its reason. */
async function firstFailure(cfn: CloudFormationClient, name: string): Promise<string> {
  // Events come newest first, in pages: the first failure can be on any page.
  const events = await allPages(
    'describe stack events',
    paginateDescribeStackEvents({ client: cfn }, { StackName: name }),
    (p) => p.StackEvents,
  );
  const failed = [...events].reverse().find((e) => e.ResourceStatus?.endsWith('_FAILED'));
  return failed
    ? `${failed.LogicalResourceId} (${failed.ResourceType}): ${failed.ResourceStatusReason}`
    : 'no failed resource reported';
}

export async function createNetworkStack(target: Target, spec: LabSpec, zones: string[]): Promise<NetworkOutputs> {
  const cfn = new CloudFormationClient(awsClientOptions(target));
  const name = stackName(spec.labId);
  if (!(await classifying('describe stack', () => describe(cfn, name)))) {
    beforeCreate(`create stack ${name}`);
    await classifying('create stack', () =>
      cfn.send(
        new CreateStackCommand({
          StackName: name,
          TemplateBody: networkTemplate,
          Capabilities: ['CAPABILITY_NAMED_IAM'],
          // A retried create with the same token is the same request, not a second stack.
          ClientRequestToken: `${spec.labId}-create`,
          Parameters: [
            { ParameterKey: 'LabId', ParameterValue: spec.labId },
            { ParameterKey: 'VpcCidr', ParameterValue: spec.vpcCidr },
            { ParameterKey: 'Zones', ParameterValue: zones.join(',') },
            { ParameterKey: 'SubnetCidrs', ParameterValue: spec.subnetCidrs.join(',') },
          ],
          Tags: [{ Key: labTag, Value: spec.labId }],
          OnFailure: 'ROLLBACK',
        }),
      ),
    );
  }
  const stack = await waitFor(
    `stack ${name} CREATE_COMPLETE`,
    async () => {
      const s = await classifying('describe stack', () => describe(cfn, name));
      const status = s?.StackStatus ?? 'MISSING';
      if (/ROLLBACK|FAILED|DELETE/.test(status)) {
        throw nonRetryableFailure(`stack ${name} ${status}: ${await firstFailure(cfn, name)}`, 'StackRollback');
      }
      return status === 'CREATE_COMPLETE' ? s : undefined;
    },
    { timeoutMs: 45 * 60_000, intervalMs: awsPolling },
  );
  const out = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue!]));
  return {
    stackName: name,
    vpcId: out.VpcId!,
    vpcCidr: spec.vpcCidr,
    subnetIds: out.SubnetIds!.split(','),
    securityGroupId: out.SecurityGroupId!,
    clusterRoleArn: out.ClusterRoleArn!,
    nodeRoleArn: out.NodeRoleArn!,
  };
}

/** The stack's own security groups: those its delete removes, never to be deleted out of band. */
async function stackSecurityGroups(cfn: CloudFormationClient, name: string): Promise<Set<string>> {
  const ids = new Set<string>();
  await classifying('list stack resources', async () => {
    for await (const page of paginateListStackResources({ client: cfn }, { StackName: name }))
      for (const r of page.StackResourceSummaries ?? [])
        if (r.ResourceType === 'AWS::EC2::SecurityGroup' && r.PhysicalResourceId) ids.add(r.PhysicalResourceId);
  });
  return ids;
}

/**
 * Deletes the stack and waits until it is gone; harmless when it never existed. Security groups
 * in its VPC that carry the lab's tag or the load balancer controller's tag for the lab's cluster
 * block the VPC's delete (DELETE_FAILED): they are deleted first, and again before one more try.
 */
export async function deleteNetworkStack(target: Target, labId: string): Promise<void> {
  const cfn = new CloudFormationClient(awsClientOptions(target));
  const name = stackName(labId);
  const stack = await classifying('describe stack', () => describe(cfn, name));
  if (!stack || stack.StackStatus === 'DELETE_COMPLETE') return;
  const vpcId = stack.Outputs?.find((o) => o.OutputKey === 'VpcId')?.OutputValue;
  const deleteLeftoverGroups = async (): Promise<void> => {
    if (!vpcId) return;
    const own = await stackSecurityGroups(cfn, stack.StackId ?? name);
    const owner = { labId, cluster: clusterName(labId) };
    await deleteSecurityGroups(target, await labSecurityGroupsInVpc(target, vpcId, owner, own));
  };
  const deleteAndWait = async (): Promise<string | undefined> => {
    await classifying('delete stack', () => cfn.send(new DeleteStackCommand({ StackName: stack.StackId ?? name })));
    return waitFor(
      `stack ${name} deleted`,
      async () => {
        const s = await classifying('describe stack', () => describe(cfn, stack.StackId ?? name));
        if (s?.StackStatus === 'DELETE_FAILED') return `stack ${name} DELETE_FAILED: ${await firstFailure(cfn, name)}`;
        return !s || s.StackStatus === 'DELETE_COMPLETE' ? '' : undefined;
      },
      { timeoutMs: 30 * 60_000, intervalMs: awsPolling },
    );
  };
  await deleteLeftoverGroups();
  if (!(await deleteAndWait())) return;
  await deleteLeftoverGroups();
  const failed = await deleteAndWait();
  if (failed) throw new Error(failed);
}
