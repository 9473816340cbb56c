// networkLab: LAB.md's phases as one saga, run as a dependency graph: what a real cluster lets
// run at once does (add-ons beside the node group, the controller beside the node wait, the
// load balancer, DNS and iperf3 tests together). Every create step registers its undo before it
// runs; whatever happens — success, failure, cancel, TTL — the undos run in a fixed safe order,
// outside cancellation, followed by a leak check. Orchestration only: all I/O is in activities.
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { LabActivities, ValidatedLab } from '../activities/index.js';
import { labSteps, runsStep, type LabStepId } from '../lab/graph.js';
import { phaseIds, type PhaseId } from '../lab/phases.js';
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
import { renderCurrentDetails } from '../lab/report/markdown.js';
import { stepGraph } from './graph.js';
import { creating, message, quick as quickOptions, undoing } from './options.js';
import { reportSummary, summarised } from './summaries.js';

const quickCalls = proxyActivities<LabActivities>(quickOptions);
const undoCalls = proxyActivities<LabActivities>(undoing);

/**
 * The order undos run in, whatever order concurrent phases registered them in: the tests' objects
 * before the controller that deletes their load balancers, the controller before its IAM role,
 * node groups before the cluster, the network stack last.
 */
const teardownOrder = [
  'delete iperf3 pods',
  'delete DNS test and its records',
  'delete ingress test',
  'delete NLB test',
  'delete density test',
  'uninstall the load balancer controller',
  'delete IAM roles, policies and OIDC provider',
  'delete node groups',
  'delete cluster',
  'delete network stack',
] as const;
type UndoStep = (typeof teardownOrder)[number];

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
    phaseGraph: patched('phase-graph'),
  };
  const outcome = await runLab(given, changes);
  if (changes.failUnlessPassed && outcome.report.outcome !== 'passed') throw labFailure(outcome);
  return outcome;
}

async function runLab(
  given: LabSpecInput,
  changes: { waitForCancelledCreates: boolean; cancelEndsHold: boolean; phaseGraph: boolean },
): Promise<LabOutcome> {
  const createCalls = proxyActivities<LabActivities>(
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
  // The Web UI's current details: the phase table and what the lab waits on now.
  const waitingOn: string[] = [];
  const showDetails = (): void => setCurrentDetails(renderCurrentDetails(report, waitingOn));
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
  // While phases overlap, LabPhase shows the earliest running one in the write-up's order: the
  // step the lab is furthest behind on (what runs beside it is further on), so a filter on it
  // finds a lab where a person following LAB.md would place it. Set when it changes only.
  let shownPhase: PhaseId | undefined;
  const showPhase = (): void => {
    const earliest = phaseIds.find((id) => report.phases.some((p) => p.phase === id && p.status === 'running'));
    if (!earliest || earliest === shownPhase) return;
    shownPhase = earliest;
    upsertSearchAttributes([{ key: labPhaseKey, value: earliest }]);
  };
  async function phase<T>(id: PhaseId, run: () => Promise<T>): Promise<T> {
    const r = record(id);
    r.status = 'running';
    r.startedAt = new Date().toISOString();
    showDetails();
    if (changes.phaseGraph) showPhase();
    else upsertSearchAttributes([{ key: labPhaseKey, value: id }]);
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
      if (changes.phaseGraph) showPhase();
      showDetails();
    }
  }
  const finish = async (outcome: LabReport['outcome'], error?: string): Promise<LabOutcome> => {
    report.outcome = outcome;
    report.error = error;
    report.endedAt = new Date().toISOString();
    for (const p of report.phases) if (p.status === 'pending') p.status = 'skipped';
    upsertSearchAttributes([{ key: labResultKey, value: outcome }]);
    showDetails();
    // Also for a lab that did not validate, so without the summarised calls, which need its spec.
    const written = await quickCalls.writeReport
      .executeWithOptions({ summary: reportSummary(report.labId) }, [report, validated?.spec.reportDir])
      .catch(() => undefined);
    return { report, reportDir: written?.dir };
  };

  let validated: ValidatedLab | undefined;
  try {
    validated = await phase('validate', () =>
      quickCalls.validateLab.executeWithOptions(
        { summary: `validate lab ${input.labId}: spec, region, versions, quotas` },
        [input],
      ),
    );
  } catch (err) {
    return finish('failed', message(err));
  }
  const { spec, zones, limits } = validated;
  const lab = summarised(createCalls, spec, waitingOn, showDetails);
  const undo = summarised(undoCalls, spec, waitingOn, showDetails);
  const quick = summarised(quickCalls, spec, waitingOn, showDetails);
  // `?.`: labs validated before versions were resolved carry no `kubernetes` (replay).
  const addonVersions = validated.kubernetes?.addons;
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

  const undos: { step: UndoStep; run: () => Promise<unknown> }[] = [];
  const willUndo = (step: UndoStep, run: () => Promise<unknown>): void => {
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
  /** Before the phase graph: one phase after another, undos in reverse registration order. */
  async function runInSequence(): Promise<void> {
    await phase('deploy', async () => {
      willUndo('delete network stack', () => undo.deleteNetworkStack(spec));
      const network = await lab.createNetworkStack(spec, zones);
      willUndo('delete cluster', () => undo.deleteCluster(spec));
      const cluster = await lab.createCluster(spec, network);
      willUndo('delete node groups', () => undo.deleteNodegroups(spec));
      const nodegroupName = await lab.createNodegroup(spec, network);
      const addons = await lab.createAddons(spec, addonVersions);
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
  }

  /**
   * Each phase as soon as the steps it needs (lab/graph.ts, which says why) are done. Steps are
   * started in the declaration's order, so every step's needs have started before it.
   */
  async function runAsGraph(): Promise<void> {
    const graph = stepGraph();
    const started: Partial<Record<LabStepId, Promise<unknown>>> = {};
    /** The running steps for these ids; undefined for a step this lab skips. */
    const running = (ids: readonly LabStepId[]): (Promise<unknown> | undefined)[] =>
      ids.map((id) => {
        if (!started[id] && runsStep(id, spec.phases)) throw new Error(`step ${id} is needed before it has started`);
        return started[id];
      });
    const step = <T>(id: LabStepId, run: () => Promise<T>): Promise<T> =>
      (started[id] = graph.step(running(labSteps[id].needs), run)) as Promise<T>;
    /** What a running step waits for half-way (a step the lab skips is not waited for). */
    const halfWay = (id: LabStepId): Promise<unknown>[] =>
      running(labSteps[id].needsHalfWay ?? []).filter((needed) => needed !== undefined);

    const network = step('network', () => {
      willUndo('delete network stack', () => undo.deleteNetworkStack(spec));
      return lab.createNetworkStack(spec, zones);
    });
    const cluster = step('cluster', async () => {
      willUndo('delete cluster', () => undo.deleteCluster(spec));
      return lab.createCluster(spec, await network);
    });
    const nodegroupName = step('nodegroup', async () => {
      willUndo('delete node groups', () => undo.deleteNodegroups(spec));
      return lab.createNodegroup(spec, await network);
    });
    const addons = step('addons', () => lab.createAddons(spec, addonVersions, true));
    // The deploy phase spans its parts: it starts at once, and a part's failure is its own.
    step('deploy', () =>
      phase('deploy', async () => {
        await Promise.all(halfWay('deploy'));
        const made = await cluster;
        report.deploy = {
          network: await network,
          clusterName: made.name,
          kubernetesVersion: made.version,
          nodegroupName: await nodegroupName,
          addons: await addons,
        };
      }),
    );
    step('nodes', () =>
      phase('nodes', async () => {
        report.nodes = await lab.waitForNodes(spec);
        if (report.deploy!.addons.some((a) => a.status !== 'ACTIVE'))
          report.deploy!.addons = await lab.waitForAddons(spec);
      }),
    );
    if (runs('lbController'))
      step('lbController', () =>
        phase('lbController', async () => {
          willUndo('delete IAM roles, policies and OIDC provider', () => undo.deleteIam(spec));
          willUndo('uninstall the load balancer controller', () => undo.uninstallLbController(spec));
          const iam = await lab.createLbControllerIam(spec);
          for (const needed of halfWay('lbController')) await graph.need(needed);
          report.lbController = await lab.installLbController(spec, await network, iam);
        }),
      );
    if (runs('networking'))
      step('networking', () =>
        phase('networking', async () => {
          report.networking = await lab.verifyNetworking(spec, await network);
        }),
      );
    if (runs('density'))
      step('density', () =>
        testPhase('density', async () => {
          report.density = await lab.podDensity(spec, limits);
        }),
      );
    if (runs('nlb')) step('nlb', () => testPhase('nlb', async () => void (report.nlb = await lab.nlbTest(spec))));
    if (runs('ingress'))
      step('ingress', () => testPhase('ingress', async () => void (report.ingress = await lab.ingressTest(spec))));
    if (runs('externalDns'))
      step('externalDns', () => testPhase('externalDns', async () => void (report.dns = await lab.dnsTest(spec))));
    if (runs('iperf3'))
      step('iperf3', () => testPhase('iperf3', async () => void (report.iperf3 = await lab.iperf3Test(spec))));
    await graph.settled();
  }

  let failure: string | undefined;
  try {
    await main.run(() => (changes.phaseGraph ? runAsGraph() : runInSequence()));
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
      const hold = 'held for people to look around: until released, a teardown signal or the TTL';
      if (held) waitingOn.push(hold);
      showDetails();
      await condition(() => !held || ttlFired || teardownRequested || (changes.cancelEndsHold && cancelRequested));
      waitingOn.splice(waitingOn.indexOf(hold), 1);
    }
    report.teardown = [];
    const inOrder = changes.phaseGraph
      ? [...undos].sort((a, b) => teardownOrder.indexOf(a.step) - teardownOrder.indexOf(b.step))
      : [...undos].reverse();
    await phase('teardown', async () => {
      for (const step of inOrder) {
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
