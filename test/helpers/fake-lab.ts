// Stand-ins for every lab activity, for tests of the workflow's own logic (signals, cancellation,
// retries, the outcome) where the cloud is not the point: each answers at once with a plausible
// value, touches nothing, and any of them can be replaced.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities, type LabActivities } from '../../activities/index.js';
import type { ResolvedKubernetes } from '../../lab/report.js';
import { validateSpec, type LabSpecInput } from '../../lab/spec.js';
import { sandboxTarget } from '../../worker/config.js';

const network = {
  stackName: 'fake-network',
  vpcId: 'vpc-fake',
  vpcCidr: '192.168.0.0/16',
  subnetIds: ['subnet-a', 'subnet-b', 'subnet-c'],
  securityGroupId: 'sg-fake',
  clusterRoleArn: 'arn:aws:iam::123456789012:role/fake-cluster',
  nodeRoleArn: 'arn:aws:iam::123456789012:role/fake-node',
};

/** A test phase that runs until cancelled, heartbeating so the cancel reaches it. */
export const endless = async (): Promise<never> => {
  for (;;) {
    Context.current().heartbeat({ waitingFor: 'nothing, on purpose' });
    await Context.current().sleep(200);
  }
};

/** An activity that always fails and is not retried. */
export const failingFake = (name: string) => async (): Promise<never> => {
  throw ApplicationFailure.nonRetryable(`${name} failed on purpose`, 'InjectedFault');
};

export function fakeLabActivities(overrides: Partial<LabActivities> = {}): LabActivities {
  const nothing = Object.fromEntries(
    Object.keys(createActivities(sandboxTarget())).map((k) => [k, async () => undefined]),
  );
  return {
    ...(nothing as unknown as LabActivities),
    async validateLab(input: LabSpecInput) {
      const { spec, problems } = validateSpec(input);
      if (!spec)
        throw ApplicationFailure.create({
          message: 'invalid lab spec',
          type: 'InvalidSpec',
          nonRetryable: true,
          details: [problems],
        });
      const limits = { instanceType: spec.instanceType, maxEnis: 3, ipv4PerEni: 6, maxPods: 17 };
      const kubernetes: ResolvedKubernetes = {
        version: '1.36',
        status: 'STANDARD_SUPPORT',
        supportType: 'STANDARD',
        addons: [],
      };
      return { spec: { ...spec, kubernetesVersion: kubernetes.version }, zones: ['a', 'b', 'c'], limits, kubernetes };
    },
    createNetworkStack: async () => network,
    createCluster: async (spec) => ({ name: spec.labId, version: '1.36' }),
    createNodegroup: async (spec) => `${spec.labId}-ng`,
    createAddons: async () => [],
    findLeftovers: async () => [],
    writeReport: async () => ({ dir: '/nonexistent/fake-report', files: [] }),
    ...overrides,
  };
}
