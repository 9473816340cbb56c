// The sweeper finds a lab by any one thing it left, not only by whole resources: a teardown that
// left only a policy, an OIDC provider, a security group, an ENI or a DNS record is still swept.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CreateNetworkInterfaceCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteVpcCommand,
  DeleteSubnetCommand,
} from '@aws-sdk/client-ec2';
import { CreateOpenIDConnectProviderCommand, CreatePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
} from '@aws-sdk/client-route-53';
import { findLabIds, sweepLab } from '../../activities/sweep.js';
import { awsClientOptions } from '../../activities/target.js';
import { labNames, labTagKey } from '../../lab/names.js';
import { aws, target, unique } from '../helpers/sandbox.js';

const iam = new IAMClient(awsClientOptions(target));
const tags = (labId: string) => [{ Key: labTagKey, Value: labId }];

test(
  'a lab that left one policy, OIDC provider, security group, ENI or record is found and swept',
  { timeout: 300_000 },
  async () => {
    const run = unique('sw');
    const lab = (what: string): string => `${run}-${what}`;
    const domain = `${run}.example.org`;

    await iam.send(
      new CreatePolicyCommand({
        PolicyName: labNames(lab('pol')).irsaPolicy('lbController'),
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'ec2:DescribeVpcs', Resource: '*' }],
        }),
        Tags: tags(lab('pol')),
      }),
    );
    await iam.send(
      new CreateOpenIDConnectProviderCommand({
        Url: `https://oidc.eks.${target.region}.amazonaws.com/id/${run.toUpperCase().replace(/-/g, '')}`,
        ClientIDList: ['sts.amazonaws.com'],
        ThumbprintList: ['9e99a48a9960b14926bb7f3b02e22da2b0ab7280'],
        Tags: tags(lab('oidc')),
      }),
    );
    // A VPC that is no lab's, holding what the load balancer controller and the VPC CNI left.
    const { Vpc } = await aws.ec2.send(new CreateVpcCommand({ CidrBlock: '10.77.0.0/16' }));
    const { Subnet } = await aws.ec2.send(new CreateSubnetCommand({ VpcId: Vpc!.VpcId, CidrBlock: '10.77.1.0/24' }));
    await aws.ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: `k8s-traffic-${lab('sg')}-0123456789`,
        Description: '[k8s] Shared Backend SecurityGroup for LoadBalancer',
        VpcId: Vpc!.VpcId,
        TagSpecifications: [
          { ResourceType: 'security-group', Tags: [{ Key: 'elbv2.k8s.aws/cluster', Value: lab('sg') }] },
        ],
      }),
    );
    await aws.ec2.send(
      new CreateNetworkInterfaceCommand({
        SubnetId: Subnet!.SubnetId,
        TagSpecifications: [
          { ResourceType: 'network-interface', Tags: [{ Key: 'cluster.k8s.amazonaws.com/name', Value: lab('eni') }] },
        ],
      }),
    );
    // The user's own zone, with one record ExternalDNS made for a lab (its TXT registry names the owner).
    const zone = await aws.route53.send(new CreateHostedZoneCommand({ Name: domain, CallerReference: run }));
    const zoneId = zone.HostedZone!.Id!.replace('/hostedzone/', '');
    const name = `tetris.${domain}`;
    await aws.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [
            {
              Action: 'CREATE',
              ResourceRecordSet: {
                Name: name,
                Type: 'CNAME',
                TTL: 300,
                ResourceRecords: [{ Value: 'lb.example.org' }],
              },
            },
            {
              Action: 'CREATE',
              ResourceRecordSet: {
                Name: `cname-${name}`,
                Type: 'TXT',
                TTL: 300,
                ResourceRecords: [
                  {
                    Value: `"heritage=external-dns,external-dns/owner=${lab('dns')},external-dns/resource=service/netlab/tetris"`,
                  },
                ],
              },
            },
          ],
        },
      }),
    );

    try {
      const found = await findLabIds(target, domain);
      for (const what of ['pol', 'oidc', 'sg', 'eni', 'dns'])
        assert.ok(found.includes(lab(what)), `${lab(what)} in ${found.join(' ')}`);

      for (const what of ['pol', 'oidc', 'sg', 'eni', 'dns']) await sweepLab(target, lab(what), domain);
      const after = await findLabIds(target, domain);
      for (const what of ['pol', 'oidc', 'sg', 'eni', 'dns'])
        assert.ok(!after.includes(lab(what)), `${lab(what)} still found`);
      // Swept means gone: the VPC that held the group and the ENI can now be deleted.
      await aws.ec2.send(new DeleteSubnetCommand({ SubnetId: Subnet!.SubnetId }));
      await aws.ec2.send(new DeleteVpcCommand({ VpcId: Vpc!.VpcId }));
    } finally {
      await aws.route53.send(new DeleteHostedZoneCommand({ Id: zoneId })).catch(() => undefined);
    }
  },
);
