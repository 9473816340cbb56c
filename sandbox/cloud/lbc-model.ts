// What the AWS Load Balancer Controller v2.17.1 (the version the lab installs) names and tags, read
// from its source at that tag: pkg/service and pkg/ingress model builders (names), pkg/deploy/tracking
// (stack and resource tags), pkg/networking/backend_sg_provider.go (the shared backend group), and
// the chart's deployment template (the flags the controller takes its configuration from).
import { createHash } from 'node:crypto';

/** The upstream controller and chart versions the stand-in chart and this emulation follow. */
export const controllerVersion = { app: 'v2.17.1', chart: '1.17.1' } as const;

export const clusterTagKey = 'elbv2.k8s.aws/cluster';
/** The label the controller puts in the description of the rules it adds to the targets' groups. */
export const sharedRuleDescription = 'elbv2.k8s.aws/targetGroupBinding=shared';

export type Tags = Record<string, string>;

/** The controller's configuration, from its container's flags as the chart renders them. */
export interface ControllerConfig {
  clusterName: string;
  vpcId?: string;
  defaultTags: Tags;
}

/** A Service (NLB) or Ingress (ALB) the controller acts for, as far as the emulation needs it. */
export interface LbObject {
  kind: 'nlb' | 'alb';
  namespace: string;
  name: string;
  uid: string;
  scheme: 'internet-facing' | 'internal';
  listenerPort: number;
  /** The backend Service (the object itself for an NLB) and the port its pods listen on. */
  backendService: string;
  targetPort: number;
  /** `service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags` / `alb.ingress.kubernetes.io/tags`. */
  annotationTags: Tags;
}

/** `key1=v1,key2=v2`, as `--default-tags` and the tag annotations spell tags. */
export function parseTagList(value: string | undefined): Tags {
  const out: Tags = {};
  for (const kv of (value ?? '').split(',')) {
    const [key, ...rest] = kv.split('=');
    if (key?.trim()) out[key.trim()] = rest.join('=').trim();
  }
  return out;
}

/** Reads `--cluster-name`, `--aws-vpc-id` and `--default-tags` from the controller's args. */
export function parseControllerArgs(args: readonly string[]): ControllerConfig | undefined {
  const flag = (name: string): string | undefined =>
    args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) || undefined;
  const clusterName = flag('cluster-name');
  if (!clusterName) return undefined;
  return { clusterName, vpcId: flag('aws-vpc-id'), defaultTags: parseTagList(flag('default-tags')) };
}

const alnum = (s: string): string => s.replace(/[^a-zA-Z0-9]/g, '');
/** Go's sha256.Write of each part in turn hashes their concatenation. */
const sha256 = (...parts: string[]): string => createHash('sha256').update(parts.join('')).digest('hex');
const managedName = (o: LbObject, hash: string): string =>
  `k8s-${alnum(o.namespace).slice(0, 8)}-${alnum(o.name).slice(0, 8)}-${hash.slice(0, 10)}`;

export const names = {
  loadBalancer: (cluster: string, o: LbObject): string => managedName(o, sha256(cluster, o.uid, o.scheme)),
  targetGroup: (cluster: string, o: LbObject): string =>
    managedName(o, sha256(cluster, o.uid, String(o.targetPort), o.backendService, 'ip', protocol(o))),
  frontendSecurityGroup: (cluster: string, o: LbObject): string =>
    managedName(o, sha256(cluster, o.name, o.namespace, o.uid)),
  backendSecurityGroup: (cluster: string): string =>
    `k8s-traffic-${alnum(cluster).slice(0, 232)}-${sha256(cluster).slice(0, 10)}`,
};

export const protocol = (o: LbObject): 'TCP' | 'HTTP' => (o.kind === 'nlb' ? 'TCP' : 'HTTP');
const tagPrefix = (o: LbObject): string => (o.kind === 'nlb' ? 'service.k8s.aws' : 'ingress.k8s.aws');

/** The tracking provider's resource ids: what `<prefix>/resource` says each thing is. */
export const resourceIds = {
  loadBalancer: 'LoadBalancer',
  securityGroup: 'ManagedLBSecurityGroup',
  listener: (o: LbObject): string => String(o.listenerPort),
  targetGroup: (o: LbObject): string =>
    o.kind === 'nlb'
      ? `${o.namespace}/${o.name}:${o.listenerPort}`
      : `${o.namespace}/${o.name}-${o.backendService}:${o.targetPort}`,
};

/**
 * Stack tags, the resource id, the object's annotation tags and the chart's defaultTags, which win
 * over the annotation's (docs/deploy/configurations.md: `--default-tags` take highest priority).
 */
export function resourceTags(config: ControllerConfig, o: LbObject, resourceId: string): Tags {
  return {
    ...o.annotationTags,
    ...config.defaultTags,
    [clusterTagKey]: config.clusterName,
    [`${tagPrefix(o)}/stack`]: `${o.namespace}/${o.name}`,
    [`${tagPrefix(o)}/resource`]: resourceId,
  };
}

/** The shared backend group carries only the defaultTags, the cluster and `backend-sg`. */
export const backendSgTags = (config: ControllerConfig): Tags => ({
  ...config.defaultTags,
  [clusterTagKey]: config.clusterName,
  'elbv2.k8s.aws/resource': 'backend-sg',
});

export const tagList = (tags: Tags): { Key: string; Value: string }[] =>
  Object.entries(tags)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([Key, Value]) => ({ Key, Value }));
