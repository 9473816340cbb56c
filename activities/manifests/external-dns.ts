// ExternalDNS as the write-up installs it (§9-2): a service account (with IRSA's role annotation
// on AWS), read access to what its sources watch, and one replica that keeps the Route53 public
// zone `domain` in sync with the cluster's annotated Services, owning its records by the lab's id.
import type {
  KubernetesObject,
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1Deployment,
  V1ServiceAccount,
} from '@kubernetes/client-node';

export const externalDnsImage = 'registry.k8s.io/external-dns/external-dns:v0.21.0';
/** The prefix of the annotations the lab puts on Services, as in the write-up (§9-3). */
export const annotationPrefix = 'external-dns.alpha.kubernetes.io/';

export interface ExternalDnsOptions {
  labId: string;
  /** The Route53 public zone ExternalDNS may write to. */
  domain: string;
  /**
   * The one zone ExternalDNS reads and writes, by id: zones of the same name (another lab's in the
   * sandbox) stay untouched, and each sync costs one Route53 call rather than one per such zone.
   */
  zoneId?: string;
  region: string;
  /** The IRSA role ExternalDNS assumes; without it, the node's role or the worker's credentials. */
  roleArn?: string;
  namespace?: string;
}

export function externalDnsObjects(opts: ExternalDnsOptions): KubernetesObject[] {
  const namespace = opts.namespace ?? 'kube-system';
  const name = 'external-dns';
  const labels = { 'app.kubernetes.io/name': name, 'netlab.io/lab-id': opts.labId };
  const read = ['get', 'watch', 'list'];

  const serviceAccount: V1ServiceAccount = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: {
      name,
      namespace,
      labels,
      ...(opts.roleArn ? { annotations: { 'eks.amazonaws.com/role-arn': opts.roleArn } } : {}),
    },
  };
  const clusterRole: V1ClusterRole = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, labels },
    rules: [
      { apiGroups: [''], resources: ['services', 'endpoints', 'pods', 'nodes'], verbs: read },
      { apiGroups: ['extensions', 'networking.k8s.io'], resources: ['ingresses'], verbs: read },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: read },
    ],
  };
  const binding: V1ClusterRoleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `${name}-viewer`, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [{ kind: 'ServiceAccount', name, namespace }],
  };
  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels },
    spec: {
      replicas: 1,
      // Two instances must never write the same records at once.
      strategy: { type: 'Recreate' },
      selector: { matchLabels: { 'app.kubernetes.io/name': name } },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: name,
          containers: [
            {
              name,
              image: externalDnsImage,
              args: [
                '--source=service',
                `--domain-filter=${opts.domain}`,
                ...(opts.zoneId ? [`--zone-id-filter=${opts.zoneId}`] : []),
                '--provider=aws',
                // sync: records of deleted Services are deleted too, which the lab checks.
                '--policy=sync',
                '--aws-zone-type=public',
                // Route53 allows five requests a second per account, shared by every lab running
                // there (Route 53 developer guide, "Quotas", API requests): the zone exists before
                // ExternalDNS starts, so its list is read once, not at every sync.
                '--aws-zones-cache-duration=1h',
                '--registry=txt',
                `--txt-owner-id=${opts.labId}`,
                // v0.22 reads `external-dns.kubernetes.io/` annotations by default and silently skips the
                // write-up's `external-dns.alpha.kubernetes.io/hostname`; earlier versions read this prefix.
                `--annotation-prefix=${annotationPrefix}`,
                // The lab measures how long a name takes to resolve; the default 1m would dominate it.
                '--interval=5s',
                // (--events would not sync sooner: ExternalDNS schedules an event's sync 5 s out.)
              ],
              env: [{ name: 'AWS_DEFAULT_REGION', value: opts.region }],
            },
          ],
          // Lets the non-root process read the projected IRSA token.
          securityContext: { fsGroup: 65534 },
        },
      },
    },
  };
  return [serviceAccount, clusterRole, binding, deployment];
}
