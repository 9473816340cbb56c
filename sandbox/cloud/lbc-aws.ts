// The AWS calls the emulated AWS Load Balancer Controller makes, in the controller's order: security
// groups, load balancer, target group, listener on create; listeners, load balancer, target groups,
// then security groups (retrying DependencyViolation, as the controller does for 2 minutes) on delete.
// Every client comes from controllerClientOptions: the controller's IRSA role, or its node's role, as on EKS.
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeVpcsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  paginateDescribeNetworkInterfaces,
  paginateDescribeSecurityGroups,
  type DescribeSecurityGroupsCommandInput,
  type IpPermission,
  type NetworkInterface,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import {
  AddTagsCommand,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  paginateDescribeListeners,
  paginateDescribeLoadBalancers,
  paginateDescribeTargetGroups,
  type Listener,
  type LoadBalancer,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { KubeConfig, V1Deployment } from '@kubernetes/client-node';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { endpoints, sandboxRegion } from '../config.js';
import { sleep } from './http.js';
import { irsaClientOptions, serviceAccountRoleArn } from './irsa.js';
import { nodeIdentity, type InstanceRoleCredentials } from './node-role.js';
import {
  backendSgTags,
  clusterTagKey,
  names,
  protocol,
  resourceIds,
  resourceTags,
  sharedRuleDescription,
  tagList,
  type ControllerConfig,
  type LbObject,
} from './lbc-model.js';

/**
 * Options for every AWS client of the emulated controller. Its calls go through the gateway, as
 * the controller's go to AWS: faults, throttling and the gateway's strictness reach them too. With
 * the IRSA role its service account is annotated with (what the lab sets up), the calls are made
 * with that role's credentials; without one, with its node's instance role, as the SDK's default
 * credential chain finds it through IMDS on EKS (node-role.ts; EKS User Guide, "Amazon EKS node
 * IAM role"). Either is checked against the role's policies; no node role means no credentials.
 */
async function controllerClientOptions(
  kc: KubeConfig,
  controller: { cluster: string; deployment: V1Deployment },
  instanceRoleCredentials: InstanceRoleCredentials,
  log: (line: string) => void,
): Promise<{ endpoint: string; region: string; credentials: AwsCredentialIdentityProvider; maxAttempts: number }> {
  const { cluster, deployment } = controller;
  const namespace = deployment.metadata!.namespace!;
  const serviceAccount = deployment.spec?.template.spec?.serviceAccountName ?? 'default';
  if (await serviceAccountRoleArn(kc, namespace, serviceAccount))
    return { ...(await irsaClientOptions(kc, namespace, serviceAccount)), maxAttempts: 5 };
  log(
    `load balancer controller of ${cluster}: service account ${namespace}/${serviceAccount} has no IRSA role; it uses its node's instance role`,
  );
  // Found again whenever the SDK needs credentials: the pod may not be scheduled yet, or move.
  const credentials: AwsCredentialIdentityProvider = async () => {
    const identity = await nodeIdentity(kc, cluster, deployment);
    if (!identity)
      throw new Error(
        `no credentials: service account ${namespace}/${serviceAccount} has no IRSA role and the controller's node has no instance role`,
      );
    return instanceRoleCredentials(identity);
  };
  return { endpoint: endpoints.gateway, region: sandboxRegion, credentials, maxAttempts: 5 };
}

export interface ControllerClients {
  ec2: EC2Client;
  elbv2: ElasticLoadBalancingV2Client;
}

export async function controllerClients(
  kc: KubeConfig,
  controller: { cluster: string; deployment: V1Deployment },
  instanceRoleCredentials: InstanceRoleCredentials,
  log: (line: string) => void,
): Promise<ControllerClients> {
  const options = await controllerClientOptions(kc, controller, instanceRoleCredentials, log);
  return { ec2: new EC2Client(options), elbv2: new ElasticLoadBalancingV2Client(options) };
}

/** What the controller made for one object. */
export interface LbResources {
  loadBalancer: LoadBalancer;
  targetGroup: TargetGroup;
  frontendSg: string;
}

const errorName = (err: unknown): string => (err as { name?: string }).name ?? '';
/** ELBv2 answers "not found" for a name it does not know with an error, not an empty list. */
const orNone = <T>(call: Promise<T>): Promise<T | undefined> =>
  call.catch((err: unknown) => {
    if (/NotFound/.test(errorName(err))) return undefined;
    throw err;
  });

/** How long the controller retries a DependencyViolation on DeleteSecurityGroup, and how often. */
const sgDeletion = { timeoutMs: 2 * 60_000, intervalMs: 2_000 };

export class ControllerAws {
  constructor(
    readonly aws: ControllerClients,
    private readonly config: ControllerConfig,
    private readonly log: (line: string) => void,
  ) {}

  private get cluster(): string {
    return this.config.clusterName;
  }

  /** Every page, as the controller's `DescribeSecurityGroupsAsList` reads them. */
  private async securityGroups(input: DescribeSecurityGroupsCommandInput): Promise<SecurityGroup[]> {
    const out: SecurityGroup[] = [];
    for await (const page of paginateDescribeSecurityGroups({ client: this.aws.ec2 }, input))
      out.push(...(page.SecurityGroups ?? []));
    return out;
  }

  private async securityGroup(filters: { Name: string; Values: string[] }[]): Promise<SecurityGroup | undefined> {
    return (await this.securityGroups({ Filters: filters }))[0];
  }

  /** The shared backend group `k8s-traffic-<cluster>-<hash>`, found by its tags as the controller does. */
  async ensureBackendSg(vpcId: string): Promise<string> {
    const found = await this.securityGroup([
      { Name: 'vpc-id', Values: [vpcId] },
      { Name: `tag:${clusterTagKey}`, Values: [this.cluster] },
      { Name: 'tag:elbv2.k8s.aws/resource', Values: ['backend-sg'] },
    ]);
    if (found) return found.GroupId!;
    const created = await this.aws.ec2.send(
      new CreateSecurityGroupCommand({
        VpcId: vpcId,
        GroupName: names.backendSecurityGroup(this.cluster),
        Description: '[k8s] Shared Backend SecurityGroup for LoadBalancer',
        TagSpecifications: [{ ResourceType: 'security-group', Tags: tagList(backendSgTags(this.config)) }],
      }),
    );
    this.log(`${this.cluster}: backend security group ${created.GroupId} created`);
    return created.GroupId!;
  }

  /** The load balancer's own group, open on the listener port to the world (internet-facing) or the VPC. */
  private async ensureFrontendSg(vpcId: string, o: LbObject): Promise<string> {
    const name = names.frontendSecurityGroup(this.cluster, o);
    const found = await this.securityGroup([
      { Name: 'vpc-id', Values: [vpcId] },
      { Name: 'group-name', Values: [name] },
    ]);
    if (found) return found.GroupId!;
    const created = await this.aws.ec2.send(
      new CreateSecurityGroupCommand({
        VpcId: vpcId,
        GroupName: name,
        Description: '[k8s] Managed SecurityGroup for LoadBalancer',
        TagSpecifications: [
          {
            ResourceType: 'security-group',
            Tags: tagList(resourceTags(this.config, o, resourceIds.securityGroup)),
          },
        ],
      }),
    );
    const cidr =
      o.scheme === 'internet-facing'
        ? '0.0.0.0/0'
        : ((await this.aws.ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))).Vpcs?.[0]?.CidrBlock ?? '0.0.0.0/0');
    await this.aws.ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: created.GroupId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: o.listenerPort, ToPort: o.listenerPort, IpRanges: [{ CidrIp: cidr }] },
        ],
      }),
    );
    return created.GroupId!;
  }

  async loadBalancer(o: LbObject): Promise<LoadBalancer | undefined> {
    const found = await orNone(
      this.aws.elbv2.send(new DescribeLoadBalancersCommand({ Names: [names.loadBalancer(this.cluster, o)] })),
    );
    return found?.LoadBalancers?.[0];
  }

  private async targetGroup(o: LbObject): Promise<TargetGroup | undefined> {
    const found = await orNone(
      this.aws.elbv2.send(new DescribeTargetGroupsCommand({ Names: [names.targetGroup(this.cluster, o)] })),
    );
    return found?.TargetGroups?.[0];
  }

  /** Security groups, load balancer, target group and a tagged listener; each found again on the next pass. */
  async ensure(vpcId: string, subnetIds: string[], backendSg: string, o: LbObject): Promise<LbResources> {
    const frontendSg = await this.ensureFrontendSg(vpcId, o);
    let loadBalancer = await this.loadBalancer(o);
    if (!loadBalancer) {
      const created = await this.aws.elbv2.send(
        new CreateLoadBalancerCommand({
          Name: names.loadBalancer(this.cluster, o),
          Type: o.kind === 'nlb' ? 'network' : 'application',
          Scheme: o.scheme,
          Subnets: subnetIds,
          SecurityGroups: [frontendSg, backendSg],
          Tags: tagList(resourceTags(this.config, o, resourceIds.loadBalancer)),
        }),
      );
      loadBalancer = created.LoadBalancers![0]!;
      this.log(`${this.cluster}: ${o.kind} ${loadBalancer.LoadBalancerName} created for ${o.namespace}/${o.name}`);
    }
    let targetGroup = await this.targetGroup(o);
    if (!targetGroup) {
      targetGroup = (
        await this.aws.elbv2.send(
          new CreateTargetGroupCommand({
            Name: names.targetGroup(this.cluster, o),
            Protocol: protocol(o),
            Port: o.targetPort,
            TargetType: 'ip',
            VpcId: vpcId,
            Tags: tagList(resourceTags(this.config, o, resourceIds.targetGroup(o))),
          }),
        )
      ).TargetGroups![0]!;
    }
    await this.ensureListener(loadBalancer.LoadBalancerArn!, targetGroup.TargetGroupArn!, o);
    return { loadBalancer, targetGroup, frontendSg };
  }

  private async listeners(loadBalancerArn: string): Promise<Listener[]> {
    const out: Listener[] = [];
    for await (const page of paginateDescribeListeners(
      { client: this.aws.elbv2 },
      { LoadBalancerArn: loadBalancerArn },
    ))
      out.push(...(page.Listeners ?? []));
    return out;
  }

  /** Listeners are tagged like everything else (ListenerRulesTagging is on by default since v2.11). */
  private async ensureListener(lbArn: string, tgArn: string, o: LbObject): Promise<void> {
    const tags = tagList(resourceTags(this.config, o, resourceIds.listener(o)));
    const listener = (await this.listeners(lbArn)).find((l) => l.Port === o.listenerPort);
    if (!listener) {
      await this.aws.elbv2.send(
        new CreateListenerCommand({
          LoadBalancerArn: lbArn,
          Protocol: protocol(o),
          Port: o.listenerPort,
          DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }],
          Tags: tags,
        }),
      );
      return;
    }
    const { TagDescriptions = [] } = await this.aws.elbv2.send(
      new DescribeTagsCommand({ ResourceArns: [listener.ListenerArn!] }),
    );
    const current = TagDescriptions[0]?.Tags ?? [];
    const missing = tags.filter((t) => !current.some((c) => c.Key === t.Key && c.Value === t.Value));
    if (missing.length)
      await this.aws.elbv2.send(new AddTagsCommand({ ResourceArns: [listener.ListenerArn!], Tags: missing }));
  }

  /**
   * The load balancers and target groups of the object's stack, found by their tags as the
   * controller finds them (names depend on things that may be gone, like the backend Service).
   */
  private async stackArns(o: LbObject): Promise<{ loadBalancers: string[]; targetGroups: string[] }> {
    const arns: string[] = [];
    for await (const page of paginateDescribeLoadBalancers({ client: this.aws.elbv2 }, {}))
      arns.push(...(page.LoadBalancers ?? []).map((l) => l.LoadBalancerArn!));
    for await (const page of paginateDescribeTargetGroups({ client: this.aws.elbv2 }, {}))
      arns.push(...(page.TargetGroups ?? []).map((t) => t.TargetGroupArn!));
    const stack = resourceTags(this.config, o, '');
    const stackKey = Object.keys(stack).find((k) => k.endsWith('/stack'))!;
    const mine: string[] = [];
    for (let i = 0; i < arns.length; i += 20) {
      const { TagDescriptions = [] } = await this.aws.elbv2.send(
        new DescribeTagsCommand({ ResourceArns: arns.slice(i, i + 20) }),
      );
      for (const d of TagDescriptions) {
        const tag = (key: string): string | undefined => d.Tags?.find((t) => t.Key === key)?.Value;
        if (tag(clusterTagKey) === this.cluster && tag(stackKey) === stack[stackKey]) mine.push(d.ResourceArn!);
      }
    }
    return {
      loadBalancers: mine.filter((a) => a.includes(':loadbalancer/')),
      targetGroups: mine.filter((a) => a.includes(':targetgroup/')),
    };
  }

  /**
   * Deletes in the controller's order: listeners, load balancers, target groups, then the frontend
   * security group.
   */
  async delete(vpcId: string | undefined, o: LbObject): Promise<void> {
    const { loadBalancers, targetGroups } = await this.stackArns(o);
    for (const arn of loadBalancers) {
      for (const l of await this.listeners(arn))
        await this.aws.elbv2.send(new DeleteListenerCommand({ ListenerArn: l.ListenerArn }));
      await this.aws.elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: arn }));
    }
    for (const arn of targetGroups) await this.aws.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: arn }));
    const sg = await this.securityGroup([
      ...(vpcId ? [{ Name: 'vpc-id', Values: [vpcId] }] : []),
      { Name: 'group-name', Values: [names.frontendSecurityGroup(this.cluster, o)] },
    ]);
    if (sg) await this.deleteSecurityGroup(sg.GroupId!);
  }

  /** Removes the shared rules from the targets' groups, then the backend group itself. */
  async releaseBackendSg(vpcId: string): Promise<void> {
    const found = await this.securityGroup([
      { Name: 'vpc-id', Values: [vpcId] },
      { Name: `tag:${clusterTagKey}`, Values: [this.cluster] },
      { Name: 'tag:elbv2.k8s.aws/resource', Values: ['backend-sg'] },
    ]);
    if (!found) return;
    await this.syncTargetRules(vpcId, found.GroupId!, []);
    await this.deleteSecurityGroup(found.GroupId!);
    this.log(`${this.cluster}: backend security group ${found.GroupId} deleted`);
  }

  private async deleteSecurityGroup(groupId: string): Promise<void> {
    const deadline = Date.now() + sgDeletion.timeoutMs;
    for (;;) {
      try {
        await this.aws.ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId }));
        return;
      } catch (err) {
        if (/NotFound/.test(errorName(err))) return;
        if (errorName(err) !== 'DependencyViolation' || Date.now() > deadline) throw err;
        this.log(`${this.cluster}: security group ${groupId} still in use; retrying`);
        await sleep(sgDeletion.intervalMs);
      }
    }
  }

  /**
   * ip mode: the groups of the ENIs that hold the targets' IPs admit the backend group on the
   * target ports; rules no target needs any more are revoked. ENIs are found by private IP, as the
   * controller's pod ENI resolver does (none found: no rules, as for IPs outside the VPC).
   */
  async syncTargetRules(vpcId: string, backendSg: string, targets: { ip: string; port: number }[]): Promise<void> {
    const wanted = new Set<string>();
    const ips = [...new Set(targets.map((t) => t.ip))];
    for (let i = 0; i < ips.length; i += 200) {
      const NetworkInterfaces: NetworkInterface[] = [];
      const filters = [
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'addresses.private-ip-address', Values: ips.slice(i, i + 200) },
      ];
      for await (const page of paginateDescribeNetworkInterfaces({ client: this.aws.ec2 }, { Filters: filters }))
        NetworkInterfaces.push(...(page.NetworkInterfaces ?? []));
      for (const eni of NetworkInterfaces) {
        const groupId = await this.targetGroupOfEni(eni.Groups?.map((g) => g.GroupId!) ?? []);
        if (!groupId) continue;
        const onEni = new Set(eni.PrivateIpAddresses?.map((a) => a.PrivateIpAddress!) ?? []);
        for (const t of targets) if (onEni.has(t.ip)) wanted.add(`${groupId} ${t.port}`);
      }
    }
    const SecurityGroups = await this.securityGroups({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] });
    const present = new Set<string>();
    for (const sg of SecurityGroups) {
      for (const p of sg.IpPermissions ?? []) {
        if (!p.UserIdGroupPairs?.some((g) => g.GroupId === backendSg && g.Description === sharedRuleDescription))
          continue;
        const key = `${sg.GroupId} ${p.FromPort}`;
        if (wanted.has(key)) present.add(key);
        else
          await this.aws.ec2.send(
            new RevokeSecurityGroupIngressCommand({
              GroupId: sg.GroupId,
              IpPermissions: [sharedRule(backendSg, p.FromPort!)],
            }),
          );
      }
    }
    for (const key of wanted) {
      if (present.has(key)) continue;
      const [groupId, port] = key.split(' ');
      await this.aws.ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: groupId,
          IpPermissions: [sharedRule(backendSg, Number(port))],
        }),
      );
    }
  }

  /** One group on the ENI: that one; several: the one tagged `kubernetes.io/cluster/<cluster>`. */
  private async targetGroupOfEni(groupIds: string[]): Promise<string | undefined> {
    if (groupIds.length <= 1) return groupIds[0];
    return (await this.securityGroups({ GroupIds: groupIds })).find((g) =>
      g.Tags?.some((t) => t.Key === `kubernetes.io/cluster/${this.cluster}`),
    )?.GroupId;
  }
}

const sharedRule = (backendSg: string, port: number): IpPermission => ({
  IpProtocol: 'tcp',
  FromPort: port,
  ToPort: port,
  UserIdGroupPairs: [{ GroupId: backendSg, Description: sharedRuleDescription }],
});
