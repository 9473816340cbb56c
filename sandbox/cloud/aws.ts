// Clients that talk to moto directly, for the sandbox's own machinery. They bypass the gateway,
// so injected faults and latency never hit the emulation itself.
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { Route53Client } from '@aws-sdk/client-route-53';
import { STSClient } from '@aws-sdk/client-sts';
import { endpoints, sandboxCredentials, sandboxRegion } from '../config.js';

const options = { endpoint: endpoints.moto, region: sandboxRegion, credentials: sandboxCredentials, maxAttempts: 5 };

export const moto = {
  cloudformation: new CloudFormationClient(options),
  ec2: new EC2Client(options),
  eks: new EKSClient(options),
  elbv2: new ElasticLoadBalancingV2Client(options),
  iam: new IAMClient(options),
  route53: new Route53Client(options),
  sts: new STSClient(options),
};
