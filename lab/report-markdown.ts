// report.md: the same figures as report.json, as tables a person reads.
import { phaseTitles } from './phases.js';
import type { LabReport, Quantiles } from './report.js';

const table = (head: string[], rows: (string | number | undefined)[][]): string =>
  [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map((c) => c ?? '').join(' | ')} |`),
  ].join('\n');
const seconds = (ms?: number): string => (ms === undefined ? '' : `${(ms / 1000).toFixed(1)} s`);
const q = (x: Quantiles): (string | number)[] => [x.count, x.p50, x.p90, x.p99, x.max];

export function renderMarkdown(r: LabReport): string {
  const out: string[] = [`# eks-netlab lab ${r.labId}`, ''];
  out.push(
    `Target **${r.target}** in ${r.region}; started ${r.startedAt}, ended ${r.endedAt ?? '—'}; outcome **${r.outcome}**.`,
  );
  if (r.error) out.push('', `Error: ${r.error}`);
  out.push(
    '',
    '## Phases',
    '',
    table(
      ['phase', 'status', 'duration', 'error'],
      r.phases.map((p) => [phaseTitles[p.phase], p.status, seconds(p.durationMs), p.error]),
    ),
  );
  if (r.deploy) {
    out.push(
      '',
      '## Cluster',
      '',
      `Cluster ${r.deploy.clusterName} (Kubernetes ${r.deploy.kubernetesVersion}${kubernetesSupport(r)}), VPC ${r.deploy.network.vpcId} ${r.deploy.network.vpcCidr}, subnets ${r.deploy.network.subnetIds.join(', ')}.`,
    );
    out.push(
      '',
      table(
        ['add-on', 'version', 'status'],
        r.deploy.addons.map((a) => [a.name, a.version, a.status]),
      ),
    );
  }
  if (r.nodes) {
    out.push(
      '',
      '## Nodes',
      '',
      table(
        ['node', 'zone', 'instance', 'type', 'IP', 'Ready', 'allocatable pods'],
        r.nodes.map((n) => [
          n.name,
          n.zone,
          n.instanceId,
          n.instanceType,
          n.internalIp,
          n.ready ? 'yes' : 'no',
          n.allocatablePods,
        ]),
      ),
    );
  }
  if (r.networking) {
    const n = r.networking;
    out.push(
      '',
      '## VPC CNI',
      '',
      `kube-proxy mode: **${n.kubeProxyMode}**; pods outside the VPC CIDR: **${n.podsOutsideVpc}**` +
        (n.podsOnNoEni === undefined ? '.' : `; pods on no ENI: **${n.podsOnNoEni}**.`),
    );
    out.push(
      '',
      table(
        ['ENI', 'node', 'device', 'primary IP', 'secondary IPs'],
        n.enis.map((e) => [e.eniId, e.node, e.deviceIndex, e.primaryIp, e.secondaryIps.length]),
      ),
    );
    out.push(
      '',
      table(
        ['pod', 'IP', 'node', 'ENI', 'host network'],
        n.pods.map((p) => [`${p.namespace}/${p.pod}`, p.ip, p.node, p.eniId ?? '—', p.hostNetwork ? 'yes' : 'no']),
      ),
    );
  }
  if (r.density) {
    const d = r.density;
    out.push('', '## Pod density', '');
    out.push(
      `${d.instanceType}: ${d.maxEnis} ENIs × (${d.ipv4PerEni} IPv4 − 1) + 2 = **${d.expectedMaxPodsPerNode}** pods per node; allocatable ${Object.values(d.allocatablePodsPerNode).join(', ')}.`,
    );
    out.push(
      `System pods ${d.systemPods}; expected free capacity **${d.expectedFreeCapacity}**; ${d.replicas} replicas → Running **${d.running}**, Pending **${d.pending}** (${
        Object.entries(d.pendingReasons)
          .map(([k, v]) => `${v} × ${k}`)
          .join(', ') || 'none'
      }).`,
    );
    out.push(
      '',
      table(
        ['start-up latency (ms)', 'pods', 'p50', 'p90', 'p99', 'max'],
        [
          ['scheduled', ...q(d.scheduledLatencyMs)],
          ['ready', ...q(d.readyLatencyMs)],
        ],
      ),
    );
  }
  if (r.lbController)
    out.push(
      '',
      '## AWS Load Balancer Controller',
      '',
      `${r.lbController.release} (${r.lbController.chart}), role ${r.lbController.roleArn}.`,
    );
  if (r.nlb) {
    out.push(
      '',
      '## NLB',
      '',
      `${r.nlb.hostname} (${r.nlb.scheme}); ${r.nlb.requests} requests:`,
      '',
      table(['pod', 'requests'], Object.entries(r.nlb.perPod)),
    );
    out.push(
      '',
      table(
        ['step', 'replicas', 'pod IPs', 'target IPs', 'match'],
        r.nlb.checks.map((c) => [
          c.step,
          c.replicas,
          c.podIps.join(' '),
          c.targetIps.join(' '),
          c.targetsMatch ? 'yes' : 'no',
        ]),
      ),
    );
  }
  if (r.ingress) {
    out.push('', '## ALB ingress', '', `${r.ingress.address}: HTTP ${r.ingress.httpStatus}.`);
    out.push(
      '',
      table(
        ['step', 'replicas', 'targets', 'match'],
        r.ingress.checks.map((c) => [c.step, c.replicas, c.targetIps.length, c.targetsMatch ? 'yes' : 'no']),
      ),
    );
  }
  if (r.dns) {
    out.push(
      '',
      '## ExternalDNS',
      '',
      table(
        ['record', 'in Route53 after', 'resolves after', 'removed after', 'answers'],
        [
          [
            r.dns.recordName,
            seconds(r.dns.recordCreatedMs),
            seconds(r.dns.resolvedMs),
            seconds(r.dns.recordRemovedMs),
            r.dns.addresses.join(' '),
          ],
        ],
      ),
    );
  }
  if (r.iperf3) {
    out.push('', '## iperf3', '', `Server on ${r.iperf3.serverNode}, client on ${r.iperf3.clientNode}.`, '');
    out.push(
      table(
        ['test', 'protocol', 'Gbit/s', 'retransmits', 'jitter ms', 'loss %'],
        r.iperf3.tests.map((t) => [
          t.name,
          t.protocol,
          t.gbps.toFixed(2),
          t.retransmits,
          t.jitterMs?.toFixed(3),
          t.lostPercent?.toFixed(2),
        ]),
      ),
    );
  }
  if (r.teardown)
    out.push(
      '',
      '## Teardown',
      '',
      table(
        ['step', 'ok', 'error'],
        r.teardown.map((t) => [t.step, t.ok ? 'yes' : 'no', t.error]),
      ),
    );
  if (r.leftovers) {
    out.push(
      '',
      '## Leak check',
      '',
      r.leftovers.length === 0
        ? 'Nothing tagged with the lab id is left.'
        : table(
            ['kind', 'id'],
            r.leftovers.map((l) => [l.kind, l.id]),
          ),
    );
  }
  return out.join('\n') + '\n';
}

/** How the report words the resolved version's support: ", standard support until …, upgrade policy …". */
export function kubernetesSupport(r: LabReport): string {
  const k = r.kubernetes;
  if (!k) return '';
  const support =
    k.status === 'STANDARD_SUPPORT' ? `standard support until ${k.endOfStandardSupport}` : 'extended support';
  return `, ${support}, upgrade policy ${k.supportType}`;
}
