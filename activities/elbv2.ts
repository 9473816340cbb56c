// Elastic Load Balancing v2: what the AWS Load Balancer Controller made for a Service or
// Ingress, its targets, and what is still tagged with a lab's id.
import {
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type LoadBalancer,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { labTag } from './cloudformation.js';
import { attempt } from './errors.js';
import { awsClientOptions, type Target } from './target.js';

const client = (target: Target): ElasticLoadBalancingV2Client =>
  new ElasticLoadBalancingV2Client(awsClientOptions(target));

export async function loadBalancerByHostname(target: Target, hostname: string): Promise<LoadBalancer | undefined> {
  const { LoadBalancers = [] } = await attempt('describe load balancers', () =>
    client(target).send(new DescribeLoadBalancersCommand({})),
  );
  return LoadBalancers.find((lb) => lb.DNSName?.toLowerCase() === hostname.toLowerCase());
}

/** The IPs registered as targets of the load balancer's target groups. */
export async function targetIps(target: Target, loadBalancerArn: string): Promise<string[]> {
  const elb = client(target);
  const groups = await elb
    .send(new DescribeTargetGroupsCommand({ LoadBalancerArn: loadBalancerArn }))
    .catch(() => ({ TargetGroups: [] }));
  const ips: string[] = [];
  for (const tg of groups.TargetGroups ?? []) {
    const health = await attempt('describe target health', () =>
      elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn })),
    );
    ips.push(...(health.TargetHealthDescriptions ?? []).map((t) => t.Target!.Id!));
  }
  return ips.sort();
}

/** Load balancers and target groups tagged with the lab's id (the controller copies the Service's tags). */
export async function labLoadBalancers(target: Target, labId: string): Promise<{ kind: string; id: string }[]> {
  const elb = client(target);
  const { LoadBalancers = [] } = await attempt('describe load balancers', () =>
    elb.send(new DescribeLoadBalancersCommand({})),
  );
  const { TargetGroups = [] } = await attempt('describe target groups', () =>
    elb.send(new DescribeTargetGroupsCommand({})),
  );
  const arns = [...LoadBalancers.map((l) => l.LoadBalancerArn!), ...TargetGroups.map((t) => t.TargetGroupArn!)];
  const out: { kind: string; id: string }[] = [];
  // DescribeTags takes at most 20 ARNs a call.
  for (let i = 0; i < arns.length; i += 20) {
    const { TagDescriptions = [] } = await attempt('describe tags', () =>
      elb.send(new DescribeTagsCommand({ ResourceArns: arns.slice(i, i + 20) })),
    );
    for (const d of TagDescriptions) {
      if (d.Tags?.some((t) => t.Key === labTag && t.Value === labId)) {
        out.push({
          kind: d.ResourceArn!.includes(':targetgroup/') ? 'target-group' : 'load-balancer',
          id: d.ResourceArn!,
        });
      }
    }
  }
  return out;
}
