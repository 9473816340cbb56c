// LAB.md phase 1: the lab's network and IAM stack. Idempotent by name and ClientRequestToken;
// a rollback fails the lab at once, naming the first resource that failed and why.
import { readFileSync } from 'node:fs';
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { ApplicationFailure } from '@temporalio/common';
import type { LabSpec } from '../lab/spec.js';
import type { NetworkOutputs } from '../lab/report.js';
import { attempt, isNotFound } from './errors.js';
import { beforeCreate, waitFor } from './poll.js';
import { awsClientOptions, type Target } from './target.js';

export const networkTemplate = readFileSync(new URL('./templates/network.yaml', import.meta.url), 'utf8');
export const stackName = (labId: string): string => `${labId}-network`;
export const labTag = 'netlab.io/lab-id';

async function describe(cfn: CloudFormationClient, name: string): Promise<Stack | undefined> {
  try {
    return (await cfn.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
  } catch (err) {
    if (isNotFound(err) || /does not exist/.test((err as Error).message)) return undefined;
    throw err;
  }
}

/** The lab's stack as CloudFormation describes it, or undefined when there is none. */
export async function describeNetworkStack(target: Target, labId: string): Promise<Stack | undefined> {
  return attempt('describe stack', () =>
    describe(new CloudFormationClient(awsClientOptions(target)), stackName(labId)),
  );
}

/** The first failed resource of a rolled-back stack, with its reason. */
async function firstFailure(cfn: CloudFormationClient, name: string): Promise<string> {
  const { StackEvents = [] } = await cfn.send(new DescribeStackEventsCommand({ StackName: name }));
  const failed = [...StackEvents].reverse().find((e) => e.ResourceStatus?.endsWith('_FAILED'));
  return failed
    ? `${failed.LogicalResourceId} (${failed.ResourceType}): ${failed.ResourceStatusReason}`
    : 'no failed resource reported';
}

export async function createNetworkStack(target: Target, spec: LabSpec, zones: string[]): Promise<NetworkOutputs> {
  const cfn = new CloudFormationClient(awsClientOptions(target));
  const name = stackName(spec.labId);
  if (!(await attempt('describe stack', () => describe(cfn, name)))) {
    beforeCreate(`create stack ${name}`);
    await attempt('create stack', () =>
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
      const s = await attempt('describe stack', () => describe(cfn, name));
      const status = s?.StackStatus ?? 'MISSING';
      if (/ROLLBACK|FAILED|DELETE/.test(status)) {
        throw ApplicationFailure.nonRetryable(
          `stack ${name} ${status}: ${await firstFailure(cfn, name)}`,
          'StackRollback',
        );
      }
      return status === 'CREATE_COMPLETE' ? s : undefined;
    },
    { timeoutMs: 45 * 60_000, intervalMs: 2000 },
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

/** Deletes the stack and waits until it is gone; harmless when it never existed. */
export async function deleteNetworkStack(target: Target, labId: string): Promise<void> {
  const cfn = new CloudFormationClient(awsClientOptions(target));
  const name = stackName(labId);
  const stack = await attempt('describe stack', () => describe(cfn, name));
  if (!stack || stack.StackStatus === 'DELETE_COMPLETE') return;
  await attempt('delete stack', () => cfn.send(new DeleteStackCommand({ StackName: name })));
  await waitFor(
    `stack ${name} deleted`,
    async () => {
      const s = await attempt('describe stack', () => describe(cfn, stack.StackId ?? name));
      if (s?.StackStatus === 'DELETE_FAILED')
        throw new Error(`stack ${name} DELETE_FAILED: ${await firstFailure(cfn, name)}`);
      return !s || s.StackStatus === 'DELETE_COMPLETE' ? true : undefined;
    },
    { timeoutMs: 30 * 60_000, intervalMs: 2000 },
  );
}
