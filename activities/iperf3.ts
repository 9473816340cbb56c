// Pod-to-pod throughput with iperf3: a server pod and a client pod on two different nodes, and
// four tests run by exec'ing iperf3 in the client (TCP, UDP, bidirectional, parallel streams).
// The exec is a real one through the API server, so the same code runs on EKS and the sandbox.
import { Writable } from 'node:stream';
import { CoreV1Api, Exec, type KubeConfig, type V1Node, type V1Pod, type V1Status } from '@kubernetes/client-node';
import { formatSeconds } from '../lab/duration.js';
import type { Iperf3Result, Iperf3Test } from '../lab/report.js';
import { kubeChanges } from './kube-watch.js';
import { waitFor } from './poll.js';

export interface Iperf3Options {
  namespace: string;
  labId: string;
  /** How long each test sends. */
  seconds: number;
  /** Streams of the parallel test. */
  parallel: number;
  /** The UDP test's target rate, as iperf3 spells it (`20G`). */
  udpBandwidth: string;
  /** Told what is going on while waiting for pods and tests (a Temporal activity heartbeats it). */
  heartbeat?: (detail: string) => void;
}

const image = 'networkstatic/iperf3';
const container = 'iperf3';
const serverPort = 5201;
const roles = { server: 'iperf3-server', client: 'iperf3-client' } as const;
const podTimeoutMs = 5 * 60_000;
/** Container states that will not turn Running by waiting. */
const hopeless = ['ErrImagePull', 'ImagePullBackOff', 'CrashLoopBackOff', 'InvalidImageName', 'CreateContainerError'];

interface Iperf3Sum {
  bits_per_second: number;
  retransmits?: number;
  jitter_ms?: number;
  lost_percent?: number;
}

/** The parts of `iperf3 -J` output the lab reads. */
interface Iperf3Json {
  error?: string;
  end?: {
    sum?: Iperf3Sum;
    sum_sent?: Iperf3Sum;
    sum_received?: Iperf3Sum;
    sum_sent_bidir_reverse?: Iperf3Sum;
    sum_received_bidir_reverse?: Iperf3Sum;
  };
}

const isCode = (err: unknown, code: number): boolean => (err as { code?: number }).code === code;
const gbps = (bitsPerSecond: number): number => Math.round(bitsPerSecond / 1e6) / 1e3;
const round = (value: number, digits: number): number => Math.round(value * 10 ** digits) / 10 ** digits;

function pod(role: 'server' | 'client', o: Iperf3Options, nodeName: string): V1Pod {
  const name = roles[role];
  return {
    metadata: { name, namespace: o.namespace, labels: { app: name, 'netlab.io/lab-id': o.labId } },
    spec: {
      nodeName,
      terminationGracePeriodSeconds: 5,
      containers: [
        role === 'server'
          ? {
              name: container,
              image,
              args: ['-s'],
              ports: [
                { containerPort: serverPort, protocol: 'TCP' },
                { containerPort: serverPort, protocol: 'UDP' },
              ],
              readinessProbe: { tcpSocket: { port: serverPort }, periodSeconds: 5 },
            }
          : // The client only has to stay up for the tests exec'ed in it.
            { name: container, image, command: ['sleep', 'infinity'] },
      ],
    },
  };
}

/** Two Ready, schedulable nodes, so the traffic crosses the VPC between nodes. */
async function pickNodes(core: CoreV1Api): Promise<[V1Node, V1Node]> {
  const nodes = (await core.listNode()).items
    .filter(
      (n) =>
        !n.spec?.unschedulable &&
        !(n.spec?.taints ?? []).some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute') &&
        n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    )
    .sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
  if (nodes.length < 2) throw new Error(`iperf3 needs two Ready nodes; the cluster has ${nodes.length}`);
  return [nodes[0]!, nodes[1]!];
}

/** Waits until the pod runs with an IP (and, for the server, passes its readiness probe). */
async function waitRunning(kc: KubeConfig, o: Iperf3Options, name: string, needReady: boolean): Promise<V1Pod> {
  const core = kc.makeApiClient(CoreV1Api);
  let state = 'Pending';
  return waitFor(
    `pod ${name} running`,
    async () => {
      const p = await core.readNamespacedPod({ name, namespace: o.namespace });
      const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      if (p.status?.phase === 'Running' && p.status.podIP && (ready || !needReady)) return p;
      const waiting = p.status?.containerStatuses?.[0]?.state?.waiting;
      if (p.status?.phase === 'Failed' || hopeless.includes(waiting?.reason ?? '')) {
        throw new Error(`pod ${name} cannot run: ${waiting?.reason ?? p.status?.reason} ${waiting?.message ?? ''}`);
      }
      state = waiting?.reason ?? p.status?.phase ?? 'Pending';
      return undefined;
    },
    {
      timeoutMs: podTimeoutMs,
      // waitFor heartbeats after each check: the pod's state goes there, not in a heartbeat of our own it would overwrite.
      describe: () => state,
      changes: kubeChanges(kc, `/api/v1/namespaces/${o.namespace}/pods`, `app=${name}`),
    },
  );
}

/** Collects what a stream of an exec session writes. */
function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString() };
}

/** Runs `command` in the client pod through the API server; resolves with its stdout. */
async function execInClient(kc: KubeConfig, o: Iperf3Options, command: string[], timeoutMs: number): Promise<string> {
  const stdout = collector();
  const stderr = collector();
  let status: V1Status | undefined;
  const socket = await new Exec(kc).exec(
    o.namespace,
    roles.client,
    container,
    command,
    stdout.stream,
    stderr.stream,
    null,
    false,
    (s) => (status = s),
  );
  let timer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolvePromise, reject) => {
    timer = setTimeout(() => {
      socket.close();
      reject(new Error(`${command.join(' ')} did not finish within ${timeoutMs / 1000}s`));
    }, timeoutMs);
    socket.on('close', () => resolvePromise());
    socket.on('error', reject);
  }).finally(() => clearTimeout(timer));
  const out = stdout.text();
  // iperf3 -J reports its own errors in its JSON, which says more than the exit status.
  if (status?.status !== 'Success' && !out.trim().startsWith('{')) {
    const why = stderr.text().trim() || status?.message || 'the exec session ended without a status';
    throw new Error(`${command.join(' ')} failed: ${why}`);
  }
  return out;
}

export function parseReport(name: string, out: string): Iperf3Json {
  try {
    return JSON.parse(out) as Iperf3Json;
  } catch {
    throw new Error(`iperf3 ${name} test printed no JSON report: ${out.slice(0, 200)}`);
  }
}

/** The test's summary from iperf3's JSON report: what the receiver measured. */
export function summarize(name: string, protocol: 'tcp' | 'udp', report: Iperf3Json): Iperf3Test {
  const end = report.end;
  if (report.error || !end) throw new Error(`iperf3 ${name} test failed: ${report.error ?? 'no results'}`);
  if (protocol === 'udp') {
    // The receiver's side; iperf3 before 3.11 reports only `sum`, with the receiver's jitter and loss.
    const sum = end.sum_received ?? end.sum;
    if (!sum) throw new Error(`iperf3 ${name} test reported no UDP summary`);
    return {
      name,
      protocol,
      gbps: gbps(sum.bits_per_second),
      jitterMs: round(sum.jitter_ms ?? 0, 3),
      lostPercent: round(sum.lost_percent ?? 0, 2),
    };
  }
  if (!end.sum_received || !end.sum_sent) throw new Error(`iperf3 ${name} test reported no TCP summary`);
  // A bidirectional test sends both ways at once: its throughput is both directions together.
  const received = end.sum_received.bits_per_second + (end.sum_received_bidir_reverse?.bits_per_second ?? 0);
  const retransmits = (end.sum_sent.retransmits ?? 0) + (end.sum_sent_bidir_reverse?.retransmits ?? 0);
  return { name, protocol, gbps: gbps(received), retransmits };
}

/** Runs the four iperf3 tests between two pods on two nodes; the pods stay until `deleteIperf3`. */
export async function runIperf3(kc: KubeConfig, o: Iperf3Options): Promise<Iperf3Result> {
  const core = kc.makeApiClient(CoreV1Api);
  // A retried attempt starts from scratch rather than from pods of unknown state.
  await deleteIperf3(kc, o.namespace, o.labId);
  await core.createNamespace({ body: { metadata: { name: o.namespace } } }).catch((err: unknown) => {
    if (!isCode(err, 409)) throw err;
  });
  const [serverNode, clientNode] = (await pickNodes(core)).map((n) => n.metadata!.name!) as [string, string];
  o.heartbeat?.(`starting iperf3 server on ${serverNode} and client on ${clientNode}`);
  await core.createNamespacedPod({ namespace: o.namespace, body: pod('server', o, serverNode) });
  await core.createNamespacedPod({ namespace: o.namespace, body: pod('client', o, clientNode) });
  const server = await waitRunning(kc, o, roles.server, true);
  await waitRunning(kc, o, roles.client, false);
  const serverIp = server.status!.podIP!;

  const tests: { name: string; protocol: 'tcp' | 'udp'; args: string[] }[] = [
    { name: 'tcp', protocol: 'tcp', args: [] },
    { name: 'udp', protocol: 'udp', args: ['-u', '-b', o.udpBandwidth] },
    { name: 'bidirectional', protocol: 'tcp', args: ['--bidir'] },
    { name: 'parallel', protocol: 'tcp', args: ['-P', String(o.parallel)] },
  ];
  const results: Iperf3Test[] = [];
  for (const test of tests) {
    const command = ['iperf3', '-c', serverIp, '-t', String(o.seconds), '-J', ...test.args];
    const started = Date.now();
    const ticker = setInterval(
      () => o.heartbeat?.(`iperf3 ${test.name} test: ${formatSeconds(Date.now() - started, 0)}`),
      5_000,
    );
    try {
      // Allow for connecting and the server finishing the previous test, beyond the test itself.
      const out = await execInClient(kc, o, command, o.seconds * 1000 + 90_000);
      results.push(summarize(test.name, test.protocol, parseReport(test.name, out)));
    } finally {
      clearInterval(ticker);
    }
  }
  return { serverNode, clientNode, tests: results };
}

/** Deletes the lab's iperf3 pods and waits until they are gone; nothing to delete is fine. */
export async function deleteIperf3(kc: KubeConfig, namespace: string, labId: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const labelSelector = `netlab.io/lab-id=${labId},app in (${roles.server},${roles.client})`;
  try {
    await core.deleteCollectionNamespacedPod({ namespace, labelSelector });
  } catch (err) {
    if (isCode(err, 404)) return;
    throw err;
  }
  await waitFor(
    `iperf3 pods in ${namespace} gone`,
    async () => ((await core.listNamespacedPod({ namespace, labelSelector })).items.length === 0 ? true : undefined),
    { timeoutMs: podTimeoutMs, changes: kubeChanges(kc, `/api/v1/namespaces/${namespace}/pods`, labelSelector) },
  );
}
