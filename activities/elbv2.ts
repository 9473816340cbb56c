// Elastic Load Balancing v2: what the AWS Load Balancer Controller made for a Service or
// Ingress, its targets, what is still tagged with a lab's id or its cluster's name, and deleting
// that. Every listing pages with the SDK's paginators.
import {
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  paginateDescribeListeners,
  paginateDescribeLoadBalancers,
  paginateDescribeTargetGroups,
  type LoadBalancer,
  type Tag,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { labTag } from './cloudformation.js';
import { classifying, orMissing } from './errors.js';
import { awsPolling, heartbeat, waitFor } from './poll.js';
import { awsClientOptions, type Target } from './target.js';

/** The tag the controller puts on everything it makes, naming the cluster. */
export const controllerClusterTag = 'elbv2.k8s.aws/cluster';

const client = (target: Target): ElasticLoadBalancingV2Client =>
  new ElasticLoadBalancingV2Client(awsClientOptions(target));

async function allLoadBalancers(elb: ElasticLoadBalancingV2Client): Promise<LoadBalancer[]> {
  const out: LoadBalancer[] = [];
  await classifying('describe load balancers', async () => {
    for await (const page of paginateDescribeLoadBalancers({ client: elb }, {}))
      out.push(...(page.LoadBalancers ?? []));
  });
  return out;
}

/** Target group ARNs, of one load balancer or of the whole region. */
async function targetGroupArns(elb: ElasticLoadBalancingV2Client, loadBalancerArn?: string): Promise<string[]> {
  const out: string[] = [];
  await classifying('describe target groups', async () => {
    const pages = paginateDescribeTargetGroups({ client: elb }, { LoadBalancerArn: loadBalancerArn });
    for await (const page of pages) out.push(...(page.TargetGroups ?? []).map((t) => t.TargetGroupArn!));
  });
  return out;
}

export async function loadBalancerByHostname(target: Target, hostname: string): Promise<LoadBalancer | undefined> {
  return (await allLoadBalancers(client(target))).find((lb) => lb.DNSName?.toLowerCase() === hostname.toLowerCase());
}

/**
 * The IPs registered as targets of the load balancer's target groups. Targets still draining after
 * deregistration (for the deregistration delay, 300 s by default) no longer take new connections.
 */
export async function targetIps(target: Target, loadBalancerArn: string): Promise<string[]> {
  const elb = client(target);
  const groups = await orMissing(targetGroupArns(elb, loadBalancerArn));
  const ips: string[] = [];
  for (const arn of groups ?? []) {
    const health = await classifying('describe target health', () =>
      elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })),
    );
    ips.push(
      ...(health.TargetHealthDescriptions ?? [])
        .filter((t) => !['draining', 'unused'].includes(t.TargetHealth?.State ?? ''))
        .map((t) => t.Target!.Id!),
    );
  }
  return ips.sort();
}

export interface ElbResource {
  kind: 'load-balancer' | 'target-group';
  id: string;
  tags: Tag[];
}

/** Every load balancer and target group in the region with its tags (DescribeTags takes 20 ARNs a call). */
export async function elbResourcesWithTags(target: Target): Promise<ElbResource[]> {
  const elb = client(target);
  const arns = [...(await allLoadBalancers(elb)).map((l) => l.LoadBalancerArn!), ...(await targetGroupArns(elb))];
  const out: ElbResource[] = [];
  for (let i = 0; i < arns.length; i += 20) {
    const { TagDescriptions = [] } = await classifying('describe tags', () =>
      elb.send(new DescribeTagsCommand({ ResourceArns: arns.slice(i, i + 20) })),
    );
    for (const d of TagDescriptions) {
      out.push({
        kind: d.ResourceArn!.includes(':targetgroup/') ? 'target-group' : 'load-balancer',
        id: d.ResourceArn!,
        tags: d.Tags ?? [],
      });
    }
  }
  return out;
}

const hasTag = (tags: Tag[], key: string, value: string): boolean =>
  tags.some((t) => t.Key === key && t.Value === value);

/** Load balancers and target groups tagged with the lab's id (the controller copies the Service's tags). */
export async function labLoadBalancers(target: Target, labId: string): Promise<{ kind: string; id: string }[]> {
  return (await elbResourcesWithTags(target))
    .filter((r) => hasTag(r.tags, labTag, labId))
    .map(({ kind, id }) => ({ kind, id }));
}

/**
 * Deletes the load balancers (listeners first) and target groups that carry the lab's tag or the
 * controller's tag for the lab's cluster: what a controller uninstalled before its finalizers ran
 * leaves behind. Returns the ARNs it deleted.
 */
export async function deleteLabLoadBalancers(target: Target, labId: string, cluster: string): Promise<string[]> {
  const elb = client(target);
  const owned = (await elbResourcesWithTags(target)).filter(
    (r) => hasTag(r.tags, labTag, labId) || hasTag(r.tags, controllerClusterTag, cluster),
  );
  const groups = new Set(owned.filter((r) => r.kind === 'target-group').map((r) => r.id));
  for (const { id } of owned.filter((r) => r.kind === 'load-balancer')) {
    heartbeat({ deleting: id });
    for (const tg of (await orMissing(targetGroupArns(elb, id))) ?? []) groups.add(tg);
    await classifying('delete listeners', async () => {
      const pages = paginateDescribeListeners({ client: elb }, { LoadBalancerArn: id });
      for await (const page of pages)
        for (const l of page.Listeners ?? [])
          await orMissing(elb.send(new DeleteListenerCommand({ ListenerArn: l.ListenerArn })));
    }).catch((err: Error) => {
      if (!/LoadBalancerNotFound/.test(err.message)) throw err;
    });
    await classifying('delete load balancer', () =>
      orMissing(elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: id }))),
    );
    // A target group in use by a listener cannot be deleted; wait until the load balancer is gone.
    await waitFor(
      `load balancer ${id} deleted`,
      async () => {
        const left = await classifying('describe load balancers', () =>
          orMissing(elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [id] }))),
        );
        return (left?.LoadBalancers ?? []).length === 0 ? true : undefined;
      },
      { timeoutMs: 10 * 60_000, intervalMs: awsPolling },
    );
  }
  for (const arn of groups) {
    await classifying('delete target group', () =>
      orMissing(elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: arn }))),
    );
  }
  return owned.map((r) => r.id);
}
