// EKS's Kubernetes version calendar, as AWS publishes it (EKS user guide, "Understand the
// Kubernetes version lifecycle on EKS"): 14 months of standard support from release, then 12 of
// extended support. Each version's status is computed from today's date, so the sandbox refuses
// what AWS refuses on the day a test runs, not on the day this table was written.
import type { ClusterVersionInformation } from '@aws-sdk/client-eks';

interface VersionDates {
  release: string;
  endOfStandard: string;
  endOfExtended: string;
  /** The newest EKS platform version and Kubernetes patch release of the minor version. */
  platform: string;
  patch: string;
}

// From the user guide's release calendar. 1.36 is the one the sandbox's own API servers run;
// its dates follow the 14 + 12 months rule from its EKS release.
const calendar: Record<string, VersionDates> = {
  '1.24': {
    release: '2022-11-15',
    endOfStandard: '2024-01-31',
    endOfExtended: '2025-01-31',
    platform: 'eks.30',
    patch: '1.24.17',
  },
  '1.25': {
    release: '2023-02-21',
    endOfStandard: '2024-05-01',
    endOfExtended: '2025-05-01',
    platform: 'eks.31',
    patch: '1.25.16',
  },
  '1.26': {
    release: '2023-04-11',
    endOfStandard: '2024-06-11',
    endOfExtended: '2025-06-11',
    platform: 'eks.36',
    patch: '1.26.15',
  },
  '1.27': {
    release: '2023-05-24',
    endOfStandard: '2024-07-24',
    endOfExtended: '2025-07-24',
    platform: 'eks.40',
    patch: '1.27.16',
  },
  '1.28': {
    release: '2023-09-26',
    endOfStandard: '2024-11-26',
    endOfExtended: '2025-11-26',
    platform: 'eks.44',
    patch: '1.28.15',
  },
  '1.29': {
    release: '2024-01-23',
    endOfStandard: '2025-03-23',
    endOfExtended: '2026-03-23',
    platform: 'eks.61',
    patch: '1.29.15',
  },
  '1.30': {
    release: '2024-05-23',
    endOfStandard: '2025-07-23',
    endOfExtended: '2026-07-23',
    platform: 'eks.58',
    patch: '1.30.14',
  },
  '1.31': {
    release: '2024-09-26',
    endOfStandard: '2025-11-26',
    endOfExtended: '2026-11-26',
    platform: 'eks.50',
    patch: '1.31.14',
  },
  '1.32': {
    release: '2025-01-23',
    endOfStandard: '2026-03-23',
    endOfExtended: '2027-03-23',
    platform: 'eks.34',
    patch: '1.32.13',
  },
  '1.33': {
    release: '2025-05-29',
    endOfStandard: '2026-07-29',
    endOfExtended: '2027-07-29',
    platform: 'eks.27',
    patch: '1.33.9',
  },
  '1.34': {
    release: '2025-10-02',
    endOfStandard: '2026-12-02',
    endOfExtended: '2027-12-02',
    platform: 'eks.13',
    patch: '1.34.5',
  },
  '1.35': {
    release: '2026-01-27',
    endOfStandard: '2027-03-27',
    endOfExtended: '2028-03-27',
    platform: 'eks.3',
    patch: '1.35.3',
  },
  '1.36': {
    release: '2026-06-10',
    endOfStandard: '2027-08-10',
    endOfExtended: '2028-08-10',
    platform: 'eks.2',
    patch: '1.36.3',
  },
};

export type VersionStatus = 'STANDARD_SUPPORT' | 'EXTENDED_SUPPORT' | 'UNSUPPORTED';

/** A version's status on the given day; versions not yet released or unknown are unsupported. */
export function versionStatus(version: string, now = new Date()): VersionStatus {
  const dates = calendar[version];
  const day = now.toISOString().slice(0, 10);
  if (!dates || day < dates.release || day >= dates.endOfExtended) return 'UNSUPPORTED';
  return day < dates.endOfStandard ? 'STANDARD_SUPPORT' : 'EXTENDED_SUPPORT';
}

const byMinor = (a: string, b: string): number => Number(a.split('.')[1]) - Number(b.split('.')[1]);

/** EKS's default for a cluster created without a version: the newest in standard support. */
export function defaultClusterVersion(now = new Date()): string | undefined {
  return Object.keys(calendar)
    .filter((v) => versionStatus(v, now) === 'STANDARD_SUPPORT')
    .sort(byMinor)
    .pop();
}

/** Every version of the calendar, newest first, as DescribeClusterVersions describes it. */
export function clusterVersions(now = new Date()): ClusterVersionInformation[] {
  const defaultVersion = defaultClusterVersion(now);
  return Object.keys(calendar)
    .sort(byMinor)
    .reverse()
    .map((v) => {
      const d = calendar[v]!;
      const status = versionStatus(v, now);
      return {
        clusterVersion: v,
        clusterType: 'eks',
        defaultPlatformVersion: d.platform,
        defaultVersion: v === defaultVersion,
        releaseDate: new Date(`${d.release}T00:00:00Z`),
        endOfStandardSupportDate: new Date(`${d.endOfStandard}T00:00:00Z`),
        endOfExtendedSupportDate: new Date(`${d.endOfExtended}T00:00:00Z`),
        // The deprecated `status` spells the same thing in lower-case words.
        status: status.toLowerCase().replace('_', '-') as ClusterVersionInformation['status'],
        versionStatus: status,
        kubernetesPatchVersion: d.patch,
      };
    });
}
