// KWOK's stages for the sandbox's clusters: how fake nodes and pods move through their life.
// KWOK's own default stages give a pod an IP from its node's podCIDR; on EKS the VPC CNI gives
// it a secondary private IP of one of its node's ENIs. So a pod on the pod network becomes
// Running only once the sandbox's VPC CNI (ipam.ts) has assigned it an address in EC2 and
// written it to the pod's `vpc.amazonaws.com/pod-ips` annotation (the VPC CNI's own annotation,
// ANNOTATE_POD_IP), and its podIP is that address. Host-network pods take their node's IP.
// Giving kwokctl any Stage replaces all its defaults, so the node stages are here too.
// A pod's start (image pull, container start) takes the latency profile's pod start time,
// drawn per pod: PodScheduled keeps the scheduler's time, the other conditions take the start's.
import { podIpsAnnotation } from './ipam.js';
import type { LatencyProfile } from './latency.js';

const stage = (name: string, kind: 'Pod' | 'Node', selector: string[], next: string[], delay: string[] = []): string =>
  [
    '---',
    'apiVersion: kwok.x-k8s.io/v1alpha1',
    'kind: Stage',
    `metadata: {name: ${name}}`,
    'spec:',
    `  resourceRef: {apiGroup: v1, kind: ${kind}}`,
    '  selector:',
    '    matchExpressions:',
    ...selector.map((s) => `    - ${s}`),
    ...delay,
    '  next:',
    ...next.map((l) => `    ${l}`),
  ].join('\n');

const statusTemplate = (lines: string[]): string[] => ['statusTemplate: |', ...lines.map((l) => `  ${l}`)];

const notDeleted = `{key: '.metadata.deletionTimestamp', operator: DoesNotExist}`;
const readyCondition = `.status.conditions.[] | select( .type == "Ready" ) | .status`;

/** A pod turning Running and Ready after `delay`, with `podIp` lines that set its address. */
function podReady(name: string, selector: string[], podIp: string[], delay: string[]): string {
  return stage(
    name,
    'Pod',
    [
      notDeleted,
      `{key: '.status.phase', operator: In, values: [Pending]}`,
      `{key: '${readyCondition}', operator: NotIn, values: ['True']}`,
      ...selector,
    ],
    statusTemplate([
      '{{ $now := Now }}',
      '{{ $scheduled := $now }}',
      '{{ range .status.conditions }}{{ if eq .type "PodScheduled" }}{{ $scheduled = .lastTransitionTime }}{{ end }}{{ end }}',
      'conditions:',
      '- {lastTransitionTime: {{ $scheduled | Quote }}, status: "True", type: PodScheduled}',
      ...['Initialized', 'Ready', 'ContainersReady'].map(
        (type) => `- {lastTransitionTime: {{ $now | Quote }}, status: "True", type: ${type}}`,
      ),
      'containerStatuses:',
      '{{ range .spec.containers }}',
      '- image: {{ .image | Quote }}',
      '  name: {{ .name | Quote }}',
      '  ready: true',
      '  restartCount: 0',
      '  state: {running: {startedAt: {{ $now | Quote }}}}',
      '{{ end }}',
      'initContainerStatuses:',
      '{{ range .spec.initContainers }}',
      '- image: {{ .image | Quote }}',
      '  name: {{ .name | Quote }}',
      '  ready: true',
      '  restartCount: 0',
      '  state: {terminated: {exitCode: 0, reason: Completed, startedAt: {{ $now | Quote }}, finishedAt: {{ $now | Quote }}}}',
      '{{ end }}',
      '{{ with NodeIPsWith .spec.nodeName }}',
      'hostIP: {{ index . 0 | Quote }}',
      'hostIPs: [{ip: {{ index . 0 | Quote }}}]',
      '{{ end }}',
      ...podIp,
      'phase: Running',
      'startTime: {{ $now | Quote }}',
    ]),
    delay,
  );
}

const annotation = `.metadata.annotations["${podIpsAnnotation}"]`;

/** The stages of a cluster created under `profile` (a cluster keeps the pod start time it was made with). */
export function kwokStages(profile: LatencyProfile): string[] {
  const podStart =
    profile.podStartMs > 0 || profile.podStartJitterMs > 0
      ? [
          `  delay: {durationMilliseconds: ${profile.podStartMs}, jitterDurationMilliseconds: ${Math.max(profile.podStartMs, profile.podStartJitterMs)}}`,
        ]
      : [];
  return [
    podReady(
      'pod-ready-vpc-cni',
      [`{key: '.spec.hostNetwork', operator: NotIn, values: ['true']}`, `{key: '${annotation}', operator: Exists}`],
      [
        `{{ $ip := index .metadata.annotations "${podIpsAnnotation}" }}`,
        'podIP: {{ $ip | Quote }}',
        'podIPs: [{ip: {{ $ip | Quote }}}]',
      ],
      podStart,
    ),
    podReady(
      'pod-ready-host-network',
      [`{key: '.spec.hostNetwork', operator: In, values: ['true']}`],
      [
        '{{ with NodeIPsWith .spec.nodeName }}',
        'podIP: {{ index . 0 | Quote }}',
        'podIPs: [{ip: {{ index . 0 | Quote }}}]',
        '{{ end }}',
      ],
      podStart,
    ),
    stage(
      'pod-complete',
      'Pod',
      [
        notDeleted,
        `{key: '.status.phase', operator: In, values: [Running]}`,
        `{key: '.metadata.ownerReferences.[].kind', operator: In, values: [Job]}`,
      ],
      statusTemplate([
        '{{ $now := Now }}',
        'containerStatuses:',
        '{{ range .spec.containers }}',
        '- image: {{ .image | Quote }}',
        '  name: {{ .name | Quote }}',
        '  ready: false',
        '  restartCount: 0',
        '  state: {terminated: {exitCode: 0, reason: Completed, startedAt: {{ $now | Quote }}, finishedAt: {{ $now | Quote }}}}',
        '{{ end }}',
        'phase: Succeeded',
      ]),
    ),
    stage('pod-delete', 'Pod', [`{key: '.metadata.deletionTimestamp', operator: Exists}`], ['delete: true']),
    stage('node-initialize', 'Node', [`{key: '${readyCondition}', operator: NotIn, values: ['True']}`], nodeStatus()),
    // Conditions refreshed now and then; the node's Lease (kwok-controller) is its heartbeat.
    stage(
      'node-heartbeat',
      'Node',
      [
        `{key: '.status.phase', operator: In, values: [Running]}`,
        `{key: '${readyCondition}', operator: In, values: ['True']}`,
      ],
      statusTemplate(nodeConditions()),
      ['  delay: {durationMilliseconds: 600000, jitterDurationMilliseconds: 610000}'],
    ),
  ];
}

function nodeConditions(): string[] {
  return [
    '{{ $now := Now }}',
    '{{ $since := or .metadata.creationTimestamp $now }}',
    'conditions:',
    '{{ range NodeConditions }}',
    '- lastHeartbeatTime: {{ $now | Quote }}',
    '  lastTransitionTime: {{ $since | Quote }}',
    '  message: {{ .message | Quote }}',
    '  reason: {{ .reason | Quote }}',
    '  status: {{ .status | Quote }}',
    '  type: {{ .type | Quote }}',
    '{{ end }}',
  ];
}

/** A joining node: Ready, with the addresses, capacity and node info the sandbox gave it. */
function nodeStatus(): string[] {
  return statusTemplate([
    ...nodeConditions(),
    '{{ with NodePort }}',
    'daemonEndpoints: {kubeletEndpoint: {Port: {{ . }}}}',
    '{{ end }}',
    'phase: Running',
  ]);
}
