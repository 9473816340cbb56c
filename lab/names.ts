// Every name a lab derives from its id, and the rule AWS or Kubernetes sets for each. The spec is
// checked against all of them before anything is made, so a name that AWS would refuse fails at
// validation, not after the cluster exists.

/** The tag (AWS) and label (Kubernetes) every resource of a lab carries. */
export const labTagKey = 'netlab.io/lab-id';

/** The IRSA roles a lab makes, by purpose, with the policy each role gets. */
export const irsaPolicyNames = {
  lbController: 'AWSLoadBalancerControllerIAMPolicy',
  externalDns: 'ExternalDNSPolicy',
} as const;
export type IrsaPurpose = keyof typeof irsaPolicyNames;

export const labNames = (labId: string) => ({
  networkStack: `${labId}-network`,
  cluster: labId,
  nodegroup: `${labId}-ng`,
  clusterRole: `${labId}-cluster`,
  nodeRole: `${labId}-node`,
  irsaRole: (purpose: IrsaPurpose): string => `${labId}-${purpose}`,
  irsaPolicy: (purpose: IrsaPurpose): string => `${labId}-${irsaPolicyNames[purpose]}`,
  /**
   * The record ExternalDNS writes for the write-up's tetris Service: under the lab's id, so labs
   * that share the user's zone each get their own (ExternalDNS leaves a name another owner holds alone).
   */
  dnsRecord: (domain: string): string => `tetris.${labId}.${domain}`,
});

interface NameRule {
  what: string;
  name: string;
  max: number;
  pattern: RegExp;
  /** Where the rule is written down, for the person who meets it. */
  source: string;
}

const purposes = Object.keys(irsaPolicyNames) as IrsaPurpose[];

function nameRules(labId: string): NameRule[] {
  const n = labNames(labId);
  const iamName = /^[\w+=,.@-]+$/;
  return [
    {
      what: 'CloudFormation stack',
      name: n.networkStack,
      max: 128,
      pattern: /^[a-zA-Z][-a-zA-Z0-9]*$/,
      source: 'CloudFormation API reference, CreateStack StackName',
    },
    {
      what: 'EKS cluster',
      name: n.cluster,
      max: 100,
      pattern: /^[0-9A-Za-z][A-Za-z0-9\-_]*$/,
      source: 'EKS API reference, CreateCluster name',
    },
    {
      what: 'EKS node group',
      name: n.nodegroup,
      max: 63,
      pattern: /^[0-9A-Za-z][A-Za-z0-9\-_]*$/,
      source: 'EKS API reference, CreateNodegroup nodegroupName',
    },
    ...[n.clusterRole, n.nodeRole, ...purposes.map(n.irsaRole)].map((name) => ({
      what: 'IAM role',
      name,
      max: 64,
      pattern: iamName,
      source: 'IAM API reference, CreateRole RoleName',
    })),
    ...purposes.map(n.irsaPolicy).map((name) => ({
      what: 'IAM policy',
      name,
      max: 128,
      pattern: iamName,
      source: 'IAM API reference, CreatePolicy PolicyName',
    })),
    {
      what: `Kubernetes label value ${labTagKey}`,
      name: labId,
      max: 63,
      pattern: /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/,
      source: 'Kubernetes docs, Labels and Selectors: syntax and character set',
    },
  ];
}

/** What is wrong with the names this lab id gives, one message per name; empty when all are valid. */
export function nameProblems(labId: string): string[] {
  return nameRules(labId)
    .filter((r) => r.name.length > r.max || !r.pattern.test(r.name))
    .map(
      (r) =>
        `gives ${r.what} name "${r.name}", which breaks its rule (at most ${r.max} characters, ${r.pattern}; ${r.source})`,
    );
}
