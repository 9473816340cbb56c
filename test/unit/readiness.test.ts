import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readinessRows, readinessTable, type HistoryJson } from '../../bench/readiness.js';
import type { Transition } from '../../sandbox/cloud/transitions.js';
// A fast-profile lab on the sandbox: its activities' scheduled and completed events, and the
// gateway's transitions for it (recorded before the stack's DELETE_COMPLETE was recorded).
import fixture from '../fixtures/readiness/lab.json' with { type: 'json' };

const history = fixture.history as HistoryJson;
const transitions = fixture.transitions as Transition[];

test('each wait activity is paired with the last transition it waited for, before it completed', () => {
  const rows = readinessRows(fixture.labId, history, transitions);
  assert.deepEqual(
    rows.map((r) => r.wait),
    [
      'createNetworkStack',
      'createCluster',
      'createAddons',
      'createNodegroup',
      'installLbController',
      'waitForNodes',
      'deleteNodegroups',
      'deleteCluster',
    ],
    'deleteNetworkStack has no transition in the fixture, so no row; tests that probe after their wait have none',
  );
  const row = (wait: string) => rows.find((r) => r.wait === wait)!;
  // The nodes are Ready once the last of the three nodes and of EKS's system workloads is: coredns.
  const coredns = transitions.find((t) => t.name === `${fixture.labId}/kube-system/coredns`)!;
  assert.equal(row('waitForNodes').happened, coredns.at);
  // The last of the three add-ons, kube-proxy.
  assert.equal(row('createAddons').happened, transitions.find((t) => t.name.endsWith('/kube-proxy'))!.at);
  assert.deepEqual(row('createCluster'), {
    wait: 'createCluster',
    happened: 1795850115576,
    noticed: 1795850116910,
    lagMs: 1334,
  });
  for (const r of rows) assert.ok(r.lagMs >= 0 && r.noticed >= r.happened, `${r.wait}: ${JSON.stringify(r)}`);
});

test('a wait that began after its state came about lags from its own start', () => {
  const createCluster = history.events!.find(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'createCluster',
  )!;
  const startedAt = Number(createCluster.eventTime!.seconds) * 1000 + Math.floor(createCluster.eventTime!.nanos! / 1e6);
  const early = transitions.map((t) =>
    t.kind === 'cluster' && t.state === 'ACTIVE' ? { ...t, at: startedAt - 5_000 } : t,
  );
  const row = readinessRows(fixture.labId, history, early).find((r) => r.wait === 'createCluster')!;
  assert.equal(row.happened, startedAt - 5_000);
  assert.equal(row.lagMs, row.noticed - startedAt);
});

test('the table gives p50 and max lag per wait across labs', () => {
  const rows = readinessRows(fixture.labId, history, transitions);
  const slower = rows.map((r) => ({ ...r, lagMs: r.lagMs + 1000 }));
  const table = readinessTable([...rows, ...slower]).split('\n');
  assert.equal(table.length, 1 + 8);
  assert.match(
    table.find((l) => l.startsWith('createCluster'))!,
    /p50\s+1334 ms\s+max\s+2334 ms\s+\(2\)/,
  );
});
