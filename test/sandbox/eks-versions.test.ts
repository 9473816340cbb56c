// EKS's version calendar in the sandbox: DescribeClusterVersions with statuses computed from
// today's date, CreateCluster refusing what EKS no longer supports and keeping the upgrade
// policy, and add-on versions per Kubernetes version, paginated as the API is.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  CreateClusterCommand,
  DeleteClusterCommand,
  DescribeAddonVersionsCommand,
  DescribeClusterCommand,
  DescribeClusterVersionsCommand,
  ListClustersCommand,
  paginateDescribeAddonVersions,
  paginateDescribeClusterVersions,
  type AddonInfo,
  type ClusterVersionInformation,
} from '@aws-sdk/client-eks';
import { aws, createNetwork, deleteNetwork, eventually, unique } from '../helpers/sandbox.js';

const allVersions = async (input: { includeAll?: boolean } = {}): Promise<ClusterVersionInformation[]> => {
  const out: ClusterVersionInformation[] = [];
  for await (const page of paginateDescribeClusterVersions({ client: aws.eks }, input))
    out.push(...(page.clusterVersions ?? []));
  return out;
};
const today = new Date().toISOString().slice(0, 10);
const iso = (d?: Date): string => d!.toISOString().slice(0, 10);

test('DescribeClusterVersions: 1.24 to 1.36 with dates, and each status as of today', async () => {
  const versions = await allVersions({ includeAll: true });
  const names = versions.map((v) => v.clusterVersion);
  for (let m = 24; m <= 36; m++) assert.ok(names.includes(`1.${m}`), `1.${m} listed`);
  for (const v of versions) {
    const expected =
      today < iso(v.endOfStandardSupportDate)
        ? 'STANDARD_SUPPORT'
        : today < iso(v.endOfExtendedSupportDate)
          ? 'EXTENDED_SUPPORT'
          : 'UNSUPPORTED';
    assert.equal(v.versionStatus, expected, `${v.clusterVersion} on ${today}`);
    assert.equal(v.status, expected.toLowerCase().replace('_', '-'));
    assert.ok(
      v.releaseDate! < v.endOfStandardSupportDate! && v.endOfStandardSupportDate! < v.endOfExtendedSupportDate!,
    );
  }
  const v131 = versions.find((v) => v.clusterVersion === '1.31')!;
  assert.equal(iso(v131.endOfExtendedSupportDate), '2026-11-26');
  assert.equal(iso(versions.find((v) => v.clusterVersion === '1.24')!.endOfExtendedSupportDate), '2025-01-31');
  // Exactly one default: the newest version in standard support.
  const defaults = versions.filter((v) => v.defaultVersion);
  assert.equal(defaults.length, 1);
  const newestStandard = versions
    .filter((v) => v.versionStatus === 'STANDARD_SUPPORT')
    .sort((a, b) => Number(b.clusterVersion!.split('.')[1]) - Number(a.clusterVersion!.split('.')[1]))[0];
  assert.equal(defaults[0]!.clusterVersion, newestStandard?.clusterVersion);
});

test('DescribeClusterVersions leaves unsupported versions out unless asked, and pages its answer', async () => {
  const first = await aws.eks.send(new DescribeClusterVersionsCommand({}));
  assert.ok(first.nextToken, 'a first page that is not the whole list');
  const supported = await allVersions();
  assert.ok(supported.length > (first.clusterVersions?.length ?? 0));
  assert.ok(supported.every((v) => v.versionStatus !== 'UNSUPPORTED'));
  assert.ok(!supported.some((v) => v.clusterVersion === '1.24'));
  const only = await aws.eks.send(new DescribeClusterVersionsCommand({ clusterVersions: ['1.24'] }));
  assert.equal(only.clusterVersions?.[0]?.versionStatus, 'UNSUPPORTED');
  await assert.rejects(
    aws.eks.send(new DescribeClusterVersionsCommand({ nextToken: 'not-a-token' })),
    (err: Error) => err.name === 'InvalidParameterException',
  );
});

const labId = unique('ver');
let network: Awaited<ReturnType<typeof createNetwork>> | undefined;
after(async () => {
  const { clusters = [] } = await aws.eks.send(new ListClustersCommand({}));
  for (const name of clusters.filter((c) => c.startsWith(labId))) {
    await eventually(`cluster ${name} deleted`, () =>
      aws.eks.send(new DeleteClusterCommand({ name })).then(
        () => true,
        (err: Error) => (err.name === 'ResourceNotFoundException' ? true : undefined),
      ),
    );
  }
  if (network) await deleteNetwork(labId);
});

test('CreateCluster refuses an unsupported version and keeps the upgrade policy', async () => {
  network = await createNetwork(labId);
  const create = (name: string, version?: string, supportType?: string) =>
    aws.eks.send(
      new CreateClusterCommand({
        name,
        version,
        roleArn: network!.clusterRoleArn,
        resourcesVpcConfig: { subnetIds: network!.subnetIds },
        upgradePolicy: supportType ? { supportType: supportType as never } : undefined,
      }),
    );
  for (const version of ['1.24', '1.31']) {
    await assert.rejects(create(`${labId}-old`, version), (err: Error) => {
      assert.equal(err.name, 'InvalidParameterException');
      assert.equal(err.message, `unsupported Kubernetes version ${version}`);
      return true;
    });
  }
  const { clusters = [] } = await aws.eks.send(new ListClustersCommand({}));
  assert.ok(!clusters.includes(`${labId}-old`), 'nothing made for a refused version');

  await create(`${labId}-std`, '1.36', 'STANDARD');
  const { cluster } = await aws.eks.send(new DescribeClusterCommand({ name: `${labId}-std` }));
  assert.equal(cluster?.version, '1.36');
  assert.equal(cluster?.upgradePolicy?.supportType, 'STANDARD');

  // No version: EKS's default; no policy: extended support, as the API reference says.
  await create(`${labId}-def`);
  const { cluster: byDefault } = await aws.eks.send(new DescribeClusterCommand({ name: `${labId}-def` }));
  const { clusterVersions = [] } = await aws.eks.send(new DescribeClusterVersionsCommand({ defaultOnly: true }));
  assert.equal(byDefault?.version, clusterVersions[0]?.clusterVersion);
  assert.equal(byDefault?.upgradePolicy?.supportType, 'EXTENDED');
});

const addonVersions = async (kubernetesVersion?: string): Promise<AddonInfo[]> => {
  const out: AddonInfo[] = [];
  for await (const page of paginateDescribeAddonVersions({ client: aws.eks }, { kubernetesVersion }))
    out.push(...(page.addons ?? []));
  return out;
};
const defaultFor = (addons: AddonInfo[], name: string, k8s: string): string | undefined =>
  addons
    .find((a) => a.addonName === name)
    ?.addonVersions?.find((v) => v.compatibilities?.some((c) => c.clusterVersion === k8s && c.defaultVersion))
    ?.addonVersion;

test("DescribeAddonVersions: the write-up's versions for 1.24, current ones for 1.32-1.36, paginated", async () => {
  const for124 = await addonVersions('1.24');
  assert.equal(defaultFor(for124, 'vpc-cni', '1.24'), 'v1.12.6-eksbuild.1');
  assert.equal(defaultFor(for124, 'coredns', '1.24'), 'v1.9.3-eksbuild.3');
  assert.equal(defaultFor(for124, 'kube-proxy', '1.24'), 'v1.24.10-eksbuild.2');
  for (let m = 32; m <= 36; m++) {
    const k8s = `1.${m}`;
    const addons = await addonVersions(k8s);
    for (const name of ['vpc-cni', 'coredns', 'kube-proxy'])
      assert.match(defaultFor(addons, name, k8s) ?? '', /^v\d+\.\d+\.\d+-eksbuild\.\d+$/, `${name} on ${k8s}`);
    assert.match(defaultFor(addons, 'kube-proxy', k8s)!, new RegExp(`^v${k8s.replace('.', '\\.')}\\.`));
  }
  // The history: vpc-cni v1.12.6 is still listed, next to newer versions, across Kubernetes versions.
  const vpcCni = (await addonVersions()).find((a) => a.addonName === 'vpc-cni')!;
  assert.ok((vpcCni.addonVersions?.length ?? 0) > 3);
  const old = vpcCni.addonVersions!.find((v) => v.addonVersion === 'v1.12.6-eksbuild.1')!;
  assert.ok(old.compatibilities!.some((c) => c.clusterVersion === '1.24' && c.defaultVersion));
  assert.ok(old.compatibilities!.some((c) => c.clusterVersion === '1.28' && !c.defaultVersion));
  // Pages: three add-ons do not come in one default page.
  const first = await aws.eks.send(new DescribeAddonVersionsCommand({ kubernetesVersion: '1.36' }));
  assert.ok(first.nextToken && (first.addons?.length ?? 0) < 3);
  const all = await aws.eks.send(new DescribeAddonVersionsCommand({ kubernetesVersion: '1.36', maxResults: 100 }));
  assert.equal(all.addons?.length, 3);
  assert.equal(all.nextToken, undefined);
});
