// ELBv2 target states follow registration time, kept by the gateway as the call passes: a target
// is `initial` from the moment RegisterTargets is answered, whoever registered it, and a
// deregistered one drains for its group's delay. (moto alone lists a new target `healthy` at once.)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CreateVpcCommand, DeleteVpcCommand } from '@aws-sdk/client-ec2';
import {
  CreateTargetGroupCommand,
  DeleteTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ModifyTargetGroupAttributesCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { LatencyProfile } from '../../sandbox/cloud/latency.js';
import { aws, gatewayAdmin, unique } from '../helpers/sandbox.js';

let profile: LatencyProfile;
let vpcId: string;
let targetGroupArn: string;

before(async () => {
  profile = await gatewayAdmin<LatencyProfile>('GET', 'profile');
  await gatewayAdmin('PUT', 'profile', { ...profile, targetInitialMs: 60_000 });
  const { Vpc } = await aws.ec2.send(new CreateVpcCommand({ CidrBlock: '10.42.0.0/16' }));
  vpcId = Vpc!.VpcId!;
  const { TargetGroups = [] } = await aws.elbv2.send(
    new CreateTargetGroupCommand({ Name: unique('states'), Protocol: 'TCP', Port: 80, VpcId: vpcId, TargetType: 'ip' }),
  );
  targetGroupArn = TargetGroups[0]!.TargetGroupArn!;
});

after(async () => {
  await gatewayAdmin('PUT', 'profile', profile);
  if (targetGroupArn) await aws.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: targetGroupArn }));
  if (vpcId) await aws.ec2.send(new DeleteVpcCommand({ VpcId: vpcId }));
});

const states = async (): Promise<Record<string, string>> =>
  Object.fromEntries(
    (
      (await aws.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })))
        .TargetHealthDescriptions ?? []
    ).map((t) => [t.Target!.Id!, t.TargetHealth!.State!]),
  );

test('a target registered a moment ago is initial; deregistered, it drains for the delay', async () => {
  await aws.elbv2.send(
    new RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: [{ Id: '10.42.0.10', Port: 80 }] }),
  );
  assert.deepEqual(await states(), { '10.42.0.10': 'initial' });
  await aws.elbv2.send(
    new ModifyTargetGroupAttributesCommand({
      TargetGroupArn: targetGroupArn,
      Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '300' }],
    }),
  );
  await aws.elbv2.send(
    new DeregisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: [{ Id: '10.42.0.10', Port: 80 }] }),
  );
  assert.deepEqual(await states(), { '10.42.0.10': 'draining' });
});
