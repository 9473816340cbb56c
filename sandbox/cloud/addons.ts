// The EKS add-ons API, which moto lacks. Versions follow what EKS offers for the cluster's
// Kubernetes version; 1.24's are the ones the write-up saw.
import type { Addon } from '@aws-sdk/client-eks';

const knownVersions: Record<string, Record<string, string>> = {
  'vpc-cni': { '1.24': 'v1.12.6-eksbuild.1', default: 'v1.20.4-eksbuild.1' },
  coredns: { '1.24': 'v1.9.3-eksbuild.3', default: 'v1.12.4-eksbuild.1' },
  'kube-proxy': { '1.24': 'v1.24.10-eksbuild.2' },
};

export const supportedAddons = Object.keys(knownVersions);

export function defaultAddonVersion(addon: string, clusterVersion: string): string | undefined {
  const table = knownVersions[addon];
  if (!table) return undefined;
  if (table[clusterVersion]) return table[clusterVersion];
  // kube-proxy tracks the cluster's own minor version.
  return addon === 'kube-proxy' ? `v${clusterVersion}.0-eksbuild.1` : table.default;
}

export interface AddonRecord {
  addon: Addon;
  /** When the add-on finishes CREATING or DELETING, per the latency profile. */
  readyAt: number;
  deleting: boolean;
}

/** The add-on as DescribeAddon shows it now, with the status its timing gives. */
export function addonView(record: AddonRecord, now: number): Addon {
  const settled = now >= record.readyAt;
  const status = record.deleting ? 'DELETING' : settled ? 'ACTIVE' : 'CREATING';
  return {
    ...record.addon,
    status,
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
