// How late a lab's waits noticed what they waited for: each wait activity's completion in the
// workflow history against the sandbox's record of when that state came about
// (`GET /_netlab/transitions`, sandbox/cloud/transitions.ts). Only activities that end on their
// wait are measured; those that go on after it (the load balancer, DNS and iperf3 tests probe
// once ready) would count their own work as lag.
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { clusterName, nodegroupName } from '../activities/eks.js';
import { quantiles } from '../lab/report.js';
import { endpoints } from '../sandbox/config.js';
import type { Transition } from '../sandbox/cloud/transitions.js';

/** A history as protobufjs's JSON form gives it (enums by name, 64-bit numbers as strings). */
export interface HistoryJson {
  events?: {
    eventId?: string;
    eventTime?: { seconds?: string; nanos?: number };
    eventType?: string;
    activityTaskScheduledEventAttributes?: { activityType?: { name?: string } };
    activityTaskCompletedEventAttributes?: { scheduledEventId?: string };
  }[];
}

export interface ReadinessRow {
  /** The wait activity. */
  wait: string;
  /** When what it waited for came about (ms since the epoch). */
  happened: number;
  /** When the activity completed. */
  noticed: number;
  /** noticed − happened, or − the activity's start when it was ready before the wait began. */
  lagMs: number;
}

/** Which transitions each wait activity waits for: it is done once the last of them has happened. */
function awaited(labId: string): Record<string, (t: Transition) => boolean> {
  const cluster = clusterName(labId);
  const inCluster = (t: Transition, kind: string): boolean => t.kind === kind && t.name.startsWith(`${cluster}/`);
  const system = ['aws-node', 'kube-proxy', 'coredns'].map((n) => `${cluster}/kube-system/${n}`);
  return {
    createNetworkStack: (t) => t.kind === 'stack' && t.name === `${labId}-network` && t.state === 'CREATE_COMPLETE',
    createCluster: (t) => t.kind === 'cluster' && t.name === cluster && t.state === 'ACTIVE',
    createNodegroup: (t) =>
      t.kind === 'nodegroup' && t.name === `${cluster}/${nodegroupName(labId)}` && t.state === 'ACTIVE',
    createAddons: (t) => inCluster(t, 'addon') && t.state === 'ACTIVE',
    waitForAddons: (t) => inCluster(t, 'addon') && t.state === 'ACTIVE',
    waitForNodes: (t) =>
      (inCluster(t, 'node') || ((t.kind === 'daemonset' || t.kind === 'deployment') && system.includes(t.name))) &&
      t.state === 'Ready',
    installLbController: (t) =>
      t.kind === 'deployment' &&
      t.name === `${cluster}/kube-system/aws-load-balancer-controller` &&
      t.state === 'Ready',
    deleteNodegroups: (t) => inCluster(t, 'nodegroup') && t.state === 'gone',
    deleteCluster: (t) => t.kind === 'cluster' && t.name === cluster && t.state === 'gone',
    deleteNetworkStack: (t) => t.kind === 'stack' && t.name === `${labId}-network` && t.state === 'DELETE_COMPLETE',
  };
}

const millis = (t?: { seconds?: string; nanos?: number }): number =>
  Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);

/**
 * One row per completed wait activity of the lab: the last awaited transition that happened before
 * it completed. A wait whose transition is missing (a failed lab, a phase not run) has no row.
 */
export function readinessRows(labId: string, history: HistoryJson, transitions: Transition[]): ReadinessRow[] {
  const matchers = awaited(labId);
  const events = history.events ?? [];
  const scheduled = new Map(events.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => [e.eventId, e]));
  const rows: ReadinessRow[] = [];
  for (const done of events) {
    const start = scheduled.get(done.activityTaskCompletedEventAttributes?.scheduledEventId);
    const wait = start?.activityTaskScheduledEventAttributes?.activityType?.name ?? '';
    const matches = matchers[wait];
    if (!start || !matches) continue;
    const noticed = millis(done.eventTime);
    const happened = Math.max(...transitions.filter((t) => matches(t) && t.at <= noticed).map((t) => t.at));
    if (!Number.isFinite(happened)) continue;
    rows.push({ wait, happened, noticed, lagMs: noticed - Math.max(happened, millis(start.eventTime)) });
  }
  return rows;
}

/** The rows of a finished lab on the sandbox: its history from Temporal, its transitions from the gateway. */
export async function labReadiness(labId: string): Promise<ReadinessRow[]> {
  const connection = await Connection.connect({ address: endpoints.temporal });
  try {
    const raw = await new Client({ connection }).workflow.getHandle(labId).fetchHistory();
    const { History } = proto.temporal.api.history.v1;
    const history = History.toObject(History.fromObject(raw), { longs: String, enums: String }) as HistoryJson;
    const since = millis(history.events?.[0]?.eventTime);
    const answer = await fetch(`${endpoints.gateway}/_netlab/transitions?since=${since}`);
    if (!answer.ok) throw new Error(`gateway transitions: ${answer.status} ${await answer.text()}`);
    return readinessRows(labId, history, (await answer.json()) as Transition[]);
  } finally {
    await connection.close();
  }
}

/** p50 and max lag per wait across labs' rows, one line each, in the order waits first appear. */
export function readinessTable(rows: ReadinessRow[]): string {
  const byWait = new Map<string, number[]>();
  for (const row of rows) byWait.set(row.wait, [...(byWait.get(row.wait) ?? []), row.lagMs]);
  const lines = [...byWait].map(([wait, lags]) => {
    const q = quantiles(lags);
    return `${wait.padEnd(20)} lag p50 ${String(q.p50).padStart(6)} ms  max ${String(q.max).padStart(6)} ms  (${lags.length})`;
  });
  return ['readiness noticed after it happened, per wait:', ...lines].join('\n');
}
