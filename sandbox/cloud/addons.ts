// The EKS add-ons API, which moto lacks. Each add-on has a version history; each version names
// the Kubernetes versions it runs on and those it is the default for, as DescribeAddonVersions
// shows them (EKS user guide, "Amazon EKS add-ons" and each add-on's "Manage …" page).
// Kubernetes 1.24's defaults are the ones the write-up saw.
import type { Addon, AddonInfo, AddonIssue } from '@aws-sdk/client-eks';

interface AddonVersion {
  version: string;
  /** Kubernetes minor versions it runs on, as [first, last]. */
  runsOn: [string, string];
  /** Kubernetes minor versions it is EKS's default for, as [first, last]. */
  defaultFor?: [string, string];
}

const minor = (v: string): number => Number(v.split('.')[1]);
/** The Kubernetes minor versions the catalogue covers. */
const kubernetesMinors = Array.from({ length: 15 }, (_, i) => `1.${22 + i}`);
const within = (v: string, [first, last]: [string, string]): boolean =>
  minor(v) >= minor(first) && minor(v) <= minor(last);

// kube-proxy follows the cluster's own minor version: one default build per minor, and a newer
// patch build that is offered but not the default.
const kubeProxyPatches: Record<string, [string, string]> = {
  '1.24': ['v1.24.10-eksbuild.2', 'v1.24.17-eksbuild.19'],
  '1.25': ['v1.25.6-eksbuild.2', 'v1.25.16-eksbuild.16'],
  '1.26': ['v1.26.2-eksbuild.1', 'v1.26.15-eksbuild.14'],
  '1.27': ['v1.27.1-eksbuild.1', 'v1.27.16-eksbuild.22'],
  '1.28': ['v1.28.1-eksbuild.1', 'v1.28.15-eksbuild.26'],
  '1.29': ['v1.29.0-eksbuild.1', 'v1.29.15-eksbuild.15'],
  '1.30': ['v1.30.0-eksbuild.3', 'v1.30.14-eksbuild.8'],
  '1.31': ['v1.31.2-eksbuild.3', 'v1.31.14-eksbuild.6'],
  '1.32': ['v1.32.0-eksbuild.2', 'v1.32.13-eksbuild.3'],
  '1.33': ['v1.33.0-eksbuild.2', 'v1.33.9-eksbuild.4'],
  '1.34': ['v1.34.0-eksbuild.4', 'v1.34.5-eksbuild.2'],
  '1.35': ['v1.35.0-eksbuild.2', 'v1.35.3-eksbuild.1'],
  '1.36': ['v1.36.0-eksbuild.1', 'v1.36.3-eksbuild.1'],
};

const catalogue: Record<string, { type: string; versions: AddonVersion[] }> = {
  'vpc-cni': {
    type: 'networking',
    versions: [
      { version: 'v1.21.1-eksbuild.1', runsOn: ['1.28', '1.36'] },
      { version: 'v1.20.4-eksbuild.2', runsOn: ['1.27', '1.36'], defaultFor: ['1.34', '1.36'] },
      { version: 'v1.19.2-eksbuild.1', runsOn: ['1.25', '1.35'], defaultFor: ['1.32', '1.33'] },
      { version: 'v1.18.3-eksbuild.2', runsOn: ['1.25', '1.33'], defaultFor: ['1.30', '1.31'] },
      { version: 'v1.15.1-eksbuild.1', runsOn: ['1.24', '1.31'], defaultFor: ['1.28', '1.29'] },
      { version: 'v1.12.6-eksbuild.1', runsOn: ['1.24', '1.28'], defaultFor: ['1.24', '1.27'] },
      { version: 'v1.11.4-eksbuild.1', runsOn: ['1.24', '1.26'] },
    ],
  },
  coredns: {
    type: 'networking',
    versions: [
      { version: 'v1.13.1-eksbuild.1', runsOn: ['1.36', '1.36'], defaultFor: ['1.36', '1.36'] },
      { version: 'v1.12.4-eksbuild.1', runsOn: ['1.34', '1.36'], defaultFor: ['1.35', '1.35'] },
      { version: 'v1.12.3-eksbuild.1', runsOn: ['1.34', '1.35'], defaultFor: ['1.34', '1.34'] },
      { version: 'v1.12.1-eksbuild.2', runsOn: ['1.33', '1.34'], defaultFor: ['1.33', '1.33'] },
      { version: 'v1.11.4-eksbuild.2', runsOn: ['1.31', '1.33'], defaultFor: ['1.31', '1.32'] },
      { version: 'v1.11.1-eksbuild.8', runsOn: ['1.29', '1.31'], defaultFor: ['1.29', '1.30'] },
      { version: 'v1.10.1-eksbuild.2', runsOn: ['1.26', '1.29'], defaultFor: ['1.27', '1.28'] },
      { version: 'v1.9.3-eksbuild.3', runsOn: ['1.22', '1.26'], defaultFor: ['1.24', '1.26'] },
      { version: 'v1.8.7-eksbuild.3', runsOn: ['1.22', '1.24'] },
    ],
  },
  'kube-proxy': {
    type: 'networking',
    versions: Object.entries(kubeProxyPatches).flatMap(([k8s, [byDefault, newer]]) => [
      { version: newer, runsOn: [k8s, k8s] as [string, string] },
      { version: byDefault, runsOn: [k8s, k8s] as [string, string], defaultFor: [k8s, k8s] as [string, string] },
    ]),
  },
};

export const supportedAddons = Object.keys(catalogue);

/** The add-on version EKS installs on a cluster of this Kubernetes version when none is named. */
export function defaultAddonVersion(addon: string, clusterVersion: string): string | undefined {
  return catalogue[addon]?.versions.find((v) => v.defaultFor && within(clusterVersion, v.defaultFor))?.version;
}

/** Whether the add-on version runs on the cluster's Kubernetes version. */
export function addonVersionRunsOn(addon: string, version: string, clusterVersion: string): boolean {
  return !!catalogue[addon]?.versions.some((v) => v.version === version && within(clusterVersion, v.runsOn));
}

/** DescribeAddonVersions' view of one add-on: its versions, newest first, with compatibilities. */
export function addonInfo(addon: string, kubernetesVersion?: string): AddonInfo | undefined {
  const entry = catalogue[addon];
  if (!entry) return undefined;
  const versions = entry.versions.filter((v) => !kubernetesVersion || within(kubernetesVersion, v.runsOn));
  return {
    addonName: addon,
    type: entry.type,
    owner: 'aws',
    publisher: 'eks',
    addonVersions: versions.map((v) => {
      const clusters = kubernetesVersion ? [kubernetesVersion] : kubernetesMinors.filter((k) => within(k, v.runsOn));
      return {
        addonVersion: v.version,
        architecture: ['amd64', 'arm64'],
        computeTypes: ['ec2'],
        compatibilities: clusters.map((clusterVersion) => ({
          clusterVersion,
          platformVersions: ['*'],
          defaultVersion: !!v.defaultFor && within(clusterVersion, v.defaultFor),
        })),
        requiresConfiguration: false,
        requiresIamPermissions: addon === 'vpc-cni',
      };
    }),
  };
}

/** How an injected fault makes an add-on end (sandbox/README.md, fault injection). */
export type AddonOutcome = 'CREATE_FAILED' | 'DEGRADED';

export interface AddonRecord {
  addon: Addon;
  /** When the add-on finishes CREATING or DELETING, per the latency profile. */
  readyAt: number;
  deleting: boolean;
  outcome?: AddonOutcome;
}

// The health issue EKS reports with each outcome (EKS API reference, AddonIssue).
const outcomeIssues: Record<AddonOutcome, AddonIssue> = {
  CREATE_FAILED: {
    code: 'ConfigurationConflict',
    message: 'Conflicts found when trying to apply. Will not continue due to resolve conflicts mode.',
  },
  DEGRADED: {
    code: 'InsufficientNumberOfReplicas',
    message: 'The add-on is unhealthy because it doesn\u2019t have the desired number of replicas.',
  },
};

/** The add-on as DescribeAddon shows it now, with the status its timing gives. */
export function addonView(record: AddonRecord, now: number): Addon {
  const settled = now >= record.readyAt;
  const status = record.deleting ? 'DELETING' : !settled ? 'CREATING' : (record.outcome ?? 'ACTIVE');
  const issues = settled && !record.deleting && record.outcome ? [outcomeIssues[record.outcome]] : [];
  return {
    ...record.addon,
    status,
    health: { issues },
    modifiedAt: new Date(settled ? record.readyAt : record.addon.createdAt!.getTime()),
  };
}

export function addonJson(addon: Addon): Record<string, unknown> {
  // EKS's wire format uses epoch seconds for timestamps.
  return {
    ...addon,
    createdAt: addon.createdAt ? addon.createdAt.getTime() / 1000 : undefined,
    modifiedAt: addon.modifiedAt ? addon.modifiedAt.getTime() / 1000 : undefined,
  };
}
