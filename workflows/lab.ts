// networkLab: LAB.md's phases as one saga. Every create step registers its undo before it runs;
// whatever happens — success, failure, cancel, TTL — the undos run in reverse, outside
// cancellation, followed by a leak check. Orchestration only: all I/O is in activities.
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { LabActivities, ValidatedLab } from '../activities/index.js';
import type { PhaseId } from '../lab/phases.js';
import type { LabReport, PhaseRecord } from '../lab/report.js';
import { labPhaseKey, labResultKey, labTargetKey } from '../lab/search-attributes.js';
import {
  exitCodeOf,
  exitCodes,
  extendTtlSignal,
  holdSignal,
  progressQuery,
  releaseSignal,
  teardownNowSignal,
  type LabOutcome,
} from '../lab/signals.js';
import { labIdFromWorkflowId, maxTtlMs, parseDuration, phasesToRun, type LabSpecInput } from '../lab/spec.js';
import { creating, message, quick as quickOptions, undoing } from './options.js';

const quick = proxyActivities<LabActivities>(quickOptions);
const undo = proxyActivities<LabActivities>(undoing);

/** A duration a person gave, within the TTL cap (parseDuration refuses longer ones); undefined (and logged) otherwise. */
function boundedDuration(text: string, what: string): number | undefined {
  const ms = parseDuration(text);
  if (ms) return ms;
  log.warn(`${what} ${JSON.stringify(text.slice(0, 40))} refused: not a duration of at most 7 days`);
  return undefined;
}

/** The workflow failure a lab that did not pass ends with: its type says how, its details carry the outcome. */
function labFailure(outcome: LabOutcome): ApplicationFailure {
  const code = exitCodeOf(outcome.report);
  const type =
    code === exitCodes.invalid ? 'LabInvalid' : code === exitCodes.leaked ? 'LabTeardownIncomplete' : 'LabFailed';
  return ApplicationFailure.create({
    message: `lab ${outcome.report.labId} ${outcome.report.outcome}: ${outcome.report.error ?? 'no reason given'}`,
    type,
    nonRetryable: true,
    details: [outcome],
  });
}

/**
 * Runs the lab; returns its outcome when it passed, and fails the workflow with the outcome in the
 * failure's details when it did not, after teardown and the report — so the Web UI, visibility
 * filters and schedules' pause-on-failure see a failed lab as failed.
 */
export async function networkLab(given: LabSpecInput): Promise<LabOutcome> {
  // Changes to the command sequence since the first deployed version, so a lab started by an
  // older worker (a held lab lives for hours) replays on this one: test/unit/workflow-replay.test.ts.
  const changes = {
    failUnlessPassed: patched('fail-unless-passed'),
    waitForCancelledCreates: patched('wait-for-cancelled-creates'),
    cancelEndsHold: patched('cancel-ends-hold'),
  };
  const outcome = await runLab(given, changes);
  if (changes.failUnlessPassed && outcome.report.outcome !== 'passed') throw labFailure(outcome);
  return outcome;
}

async function runLab(
  given: LabSpecInput,
  changes: { waitForCancelledCreates: boolean; cancelEndsHold: boolean },
): Promise<LabOutcome> {
  const lab = proxyActivities<LabActivities>(
    changes.waitForCancelledCreates ? creating : { ...creating, cancellationType: ActivityCancellationType.TRY_CANCEL },
  );
  // A cancel request on the workflow; while the tests run it cancels them (main is a child scope),
  // while the lab is held it ends the hold.
  let cancelRequested = false;
  CancellationScope.current().cancelRequested.catch(() => void (cancelRequested = true));
  // Scheduled labs carry no id: each run takes one from its workflow id (schedule id + scheduled time).
  const input = given.labId ? given : { ...given, labId: labIdFromWorkflowId(workflowInfo().workflowId) };
  const report: LabReport = {
    labId: input.labId,
    target: input.target ?? 'sandbox',
    region: input.region ?? 'ap-northeast-2',
    startedAt: new Date().toISOString(),
    outcome: 'running',
    phases: [{ phase: 'validate', status: 'pending' }],
  };
  let teardownRequested = false;
  let held = input.keep ?? false;
  let ttlDeadline = Date.now() + Math.min(parseDuration(input.ttl ?? '2h') ?? 7_200_000, maxTtlMs);
  const main = new CancellationScope();
  setHandler(progressQuery, () => ({ ...report, ttlDeadline: new Date(ttlDeadline).toISOString(), held }));
  setHandler(teardownNowSignal, () => {
    teardownRequested = true;
    main.cancel();
  });
  setHandler(extendTtlSignal, (duration) => {
    const ms = boundedDuration(duration, 'extend-ttl');
    if (ms) ttlDeadline = Math.max(ttlDeadline, Date.now()) + ms;
  });
  setHandler(holdSignal, () => void (held = true));
  setHandler(releaseSignal, () => void (held = false));
  upsertSearchAttributes([{ key: labTargetKey, value: report.target }]);

  const record = (id: PhaseId): PhaseRecord => {
    let r = report.phases.find((p) => p.phase === id);
    if (!r) report.phases.push((r = { phase: id, status: 'pending' }));
    return r;
  };
  async function phase<T>(id: PhaseId, run: () => Promise<T>): Promise<T> {
    const r = record(id);
    r.status = 'running';
    r.startedAt = new Date().toISOString();
    upsertSearchAttributes([{ key: labPhaseKey, value: id }]);
    try {
      const result = await run();
      r.status = 'passed';
      return result;
    } catch (err) {
      r.status = isCancellation(err) ? 'cancelled' : 'failed';
      r.error = message(err);
      throw err;
    } finally {
      r.endedAt = new Date().toISOString();
      r.durationMs = Date.parse(r.endedAt) - Date.parse(r.startedAt);
    }
  }
  const finish = async (outcome: LabReport['outcome'], error?: string): Promise<LabOutcome> => {
    report.outcome = outcome;
    report.error = error;
    report.endedAt = new Date().toISOString();
    for (const p of report.phases) if (p.status === 'pending') p.status = 'skipped';
    upsertSearchAttributes([{ key: labResultKey, value: outcome }]);
    const written = await quick.writeReport(report, validated?.spec.reportDir).catch(() => undefined);
    return { report, reportDir: written?.dir };
  };

  let validated: ValidatedLab | undefined;
  try {
    validated = await phase('validate', () => quick.validateLab(input));
  } catch (err) {
    return finish('failed', message(err));
  }
  const { spec, zones, limits } = validated;
  report.region = spec.region;
  report.kubernetes = validated.kubernetes;
  for (const id of phasesToRun(spec)) record(id);
  const runs = (id: PhaseId): boolean => spec.phases.includes(id as never);

  // The lab's time-to-live is a timer here (a workflow timeout would run no teardown): when it
  // fires, running phases are cancelled and teardown starts. extendTtl moves the deadline.
  let ttlFired = false;
  void CancellationScope.nonCancellable(async () => {
    for (;;) {
      const deadline = ttlDeadline;
      const moved = await condition(() => ttlDeadline !== deadline, Math.max(1, deadline - Date.now()));
      if (!moved) break;
    }
    ttlFired = true;
    main.cancel();
  });

  const undos: { step: string; run: () => Promise<unknown> }[] = [];
  const willUndo = (step: string, run: () => Promise<unknown>): void => {
    undos.push({ step, run });
  };
  /** What undoes each test phase: registered before the phase runs, so one that fails half-way is undone too. */
  const testUndos = {
    density: ['delete density test', () => undo.deleteDensityWorkload(spec)],
    nlb: ['delete NLB test', () => undo.deleteNlbTest(spec)],
    ingress: ['delete ingress test', () => undo.deleteIngressTest(spec)],
    externalDns: ['delete DNS test and its records', () => undo.deleteDnsTest(spec)],
    iperf3: ['delete iperf3 pods', () => undo.deleteIperf3Test(spec)],
  } as const;
  const testPhase = <T>(id: keyof typeof testUndos, run: () => Promise<T>): Promise<T> => {
    const [step, undoIt] = testUndos[id];
    willUndo(step, undoIt);
    return phase(id, run);
  };
  let failure: string | undefined;
  try {
    await main.run(async () => {
      await phase('deploy', async () => {
        willUndo('delete network stack', () => undo.deleteNetworkStack(spec));
        const network = await lab.createNetworkStack(spec, zones);
        willUndo('delete cluster', () => undo.deleteCluster(spec));
        const cluster = await lab.createCluster(spec, network);
        willUndo('delete node groups', () => undo.deleteNodegroups(spec));
        const nodegroupName = await lab.createNodegroup(spec, network);
        // `?.`: labs validated before versions were resolved carry no `kubernetes` (replay).
        const addons = await lab.createAddons(spec, validated.kubernetes?.addons);
        report.deploy = {
          network,
          clusterName: cluster.name,
          kubernetesVersion: cluster.version,
          nodegroupName,
          addons,
        };
      });
      const network = report.deploy!.network;
      report.nodes = await phase('nodes', () => lab.waitForNodes(spec));
      if (runs('networking')) report.networking = await phase('networking', () => lab.verifyNetworking(spec, network));
      if (runs('density')) report.density = await testPhase('density', () => lab.podDensity(spec, limits));
      if (runs('lbController')) {
        willUndo('delete IAM roles, policies and OIDC provider', () => undo.deleteIam(spec));
        willUndo('uninstall the load balancer controller', () => undo.uninstallLbController(spec));
        report.lbController = await phase('lbController', () => lab.installLbController(spec, network));
      }
      if (runs('nlb')) report.nlb = await testPhase('nlb', () => lab.nlbTest(spec));
      if (runs('ingress')) report.ingress = await testPhase('ingress', () => lab.ingressTest(spec));
      if (runs('externalDns')) report.dns = await testPhase('externalDns', () => lab.dnsTest(spec));
      if (runs('iperf3')) report.iperf3 = await testPhase('iperf3', () => lab.iperf3Test(spec));
    });
  } catch (err) {
    failure = isCancellation(err)
      ? ttlFired
        ? 'the lab TTL fired'
        : teardownRequested
          ? 'teardown requested'
          : 'cancelled'
      : message(err);
  }

  return CancellationScope.nonCancellable(async () => {
    await phase('report', () => quick.writeReport(report, spec.reportDir)).catch(() => undefined);
    if (!failure || failure === 'teardown requested') {
      // Held (--keep or the hold signal): stay up for people to look around, until released,
      // a teardown signal or the TTL.
      await condition(() => !held || ttlFired || teardownRequested || (changes.cancelEndsHold && cancelRequested));
    }
    report.teardown = [];
    await phase('teardown', async () => {
      for (const step of [...undos].reverse()) {
        try {
          await step.run();
          report.teardown!.push({ step: step.step, ok: true });
        } catch (err) {
          report.teardown!.push({ step: step.step, ok: false, error: message(err) });
        }
      }
      const failed = report.teardown!.filter((t) => !t.ok);
      if (failed.length)
        throw ApplicationFailure.nonRetryable(`${failed.length} teardown steps failed`, 'TeardownIncomplete');
    }).catch(() => undefined);
    report.leftovers = await phase('leakCheck', () => undo.findLeftovers(spec)).catch(() => undefined);
    if (!report.leftovers || report.leftovers.length > 0) {
      return finish(
        'teardown-incomplete',
        failure ?? `${report.leftovers?.length ?? 'unknown'} resources left after teardown`,
      );
    }
    return finish(failure ? 'failed' : 'passed', failure);
  });
}
