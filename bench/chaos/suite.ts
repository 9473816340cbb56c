// The chaos suite as a function: brings the sandbox up, starts the worker processes it owns,
// runs the chosen scenarios in order, scans for secrets, and returns the table's rows with
// every batch behind them. `npm run chaos` and test/chaos call it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { connectClient } from '../../activities/temporal.js';
import { formatSeconds } from '../../lab/duration.js';
import { stopDaemon } from '../../sandbox/processes.js';
import { up } from '../../sandbox/sandbox.js';
import { allRegions, newSince, takeInventory, type InventoryItem } from './inventory.js';
import { gatewayFaults, type ChaosContext } from './labs.js';
import { seededRng } from './prng.js';
import { rowOf, table, type BatchRecord, type ScenarioRow } from './record.js';
import { apiServerRestart } from './scenarios/api-server-restart.js';
import { badInput } from './scenarios/bad-input.js';
import { cancelAnywhere } from './scenarios/cancel-anywhere.js';
import { lostAnswers } from './scenarios/lost-answers.js';
import { serverRestart } from './scenarios/server-restart.js';
import { terminated } from './scenarios/terminated.js';
import { throttle } from './scenarios/throttle.js';
import { twoWorkers } from './scenarios/two-workers.js';
import type { Scenario } from './scenarios/types.js';
import { workerKill } from './scenarios/worker-kill.js';
import { scanSecrets, type SecretFinding } from './secrets.js';
import { WorkerPool } from './workers.js';

export const scenarios: Scenario[] = [
  badInput,
  lostAnswers,
  throttle,
  workerKill,
  twoWorkers,
  serverRestart,
  apiServerRestart,
  cancelAnywhere,
  terminated,
];
export const scenarioNames = [...scenarios.map((s) => s.name), 'secrets'];

export interface ChaosOptions {
  /** Scenario names; every one when empty. `secrets` always runs last. */
  only?: string[];
  runs?: number;
  seed?: number;
  short?: boolean;
  /** Where chaos.json goes. */
  out: string;
  log?: (line: string) => void;
}

export interface ChaosResult {
  seed: number;
  short: boolean;
  runs: number;
  startedAt: string;
  wallMs: number;
  rows: ScenarioRow[];
  batches: BatchRecord[];
  secrets: { sources: number; findings: SecretFinding[] };
  /** New in any region of moto (or any API server) between the suite's start and end. */
  leftAnywhere: InventoryItem[];
  workerCrashes: { n: number; code: number | null; signal: string | null }[];
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosResult> {
  const log = opts.log ?? console.log;
  const seed = opts.seed ?? 1;
  const runs = opts.runs ?? 1;
  const short = opts.short ?? false;
  const unknown = (opts.only ?? []).filter((n) => !scenarioNames.includes(n));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; one of ${scenarioNames.join(', ')}`);
  const chosen = scenarios.filter((s) => !opts.only?.length || opts.only.includes(s.name));
  const started = Date.now();
  await up({ profile: 'fast', print: () => undefined });
  const { client, close } = await connectClient();
  const workers = new WorkerPool(client);
  const ctx: ChaosContext = { client, workers, rng: seededRng(seed), short, runs, log, workflowIds: [] };
  const rows: ScenarioRow[] = [];
  const batches: BatchRecord[] = [];
  const result: ChaosResult = {
    seed,
    short,
    runs,
    startedAt: new Date(started).toISOString(),
    wallMs: 0,
    rows,
    batches,
    secrets: { sources: 0, findings: [] },
    leftAnywhere: [],
    workerCrashes: workers.crashed,
  };
  const write = (): void => {
    mkdirSync(dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, JSON.stringify(result, null, 2));
  };
  const regions = await allRegions();
  const before = await takeInventory(regions);
  try {
    await gatewayFaults('DELETE');
    // The suite kills workers and counts on its own to run the labs: the sandbox's background
    // worker (started by start-lab) would take activities the scenarios mean to lose.
    if (await stopDaemon('worker')) log("stopped the sandbox's background worker: the suite runs its own");
    workers.start();
    await workers.polling(1);
    for (const scenario of chosen) {
      log(`${scenario.name}: ${scenario.about}`);
      const t = Date.now();
      // A scenario whose driver breaks is a row that says so; the others still run.
      const done = await scenario.run(ctx).catch((err: Error): BatchRecord[] => {
        log(`${scenario.name}: the scenario broke: ${err.stack ?? err.message}`);
        return [{ scenario: scenario.name, labs: [], left: [], madeTwice: [], notes: [`broke: ${err.message}`] }];
      });
      batches.push(...done);
      rows.push(rowOf(scenario.name, done));
      // Written after each scenario, so a long run that is stopped still leaves its figures.
      result.wallMs = Date.now() - started;
      write();
      log(`${scenario.name}: done in ${formatSeconds(Date.now() - t, 0)}`);
      // Back to one live worker for the next scenario.
      while (workers.alive.size > 1) workers.kill([...workers.alive.values()].at(-1)!);
      if (workers.alive.size === 0) workers.start();
      await workers.polling(1);
    }
  } finally {
    await gatewayFaults('DELETE').catch(() => undefined);
    await workers.stopAll();
  }
  result.leftAnywhere = newSince(before, await takeInventory(regions));
  if (result.leftAnywhere.length)
    log(
      `left anywhere (${regions.length} regions): ${result.leftAnywhere.map((i) => `${i.where} ${i.kind} ${i.id}`).join(', ')}`,
    );
  if (!opts.only?.length || opts.only.includes('secrets')) {
    // chaos.json itself is scanned too: it holds every error message the labs returned.
    write();
    const scan = await scanSecrets(client, ctx.workflowIds, [opts.out]);
    result.secrets = { sources: scan.sources.length, findings: scan.findings };
    rows.push({
      scenario: 'secrets',
      labs: ctx.workflowIds.length,
      faults: 0,
      asExpected: `${scan.sources.length - new Set(scan.findings.map((f) => f.source)).size}/${scan.sources.length} sources clean`,
      left: 0,
      madeTwice: 0,
    });
    for (const f of scan.findings) log(`  SECRET ${f.kind} in ${f.source}: ${f.redacted}`);
  }
  await close();
  result.wallMs = Date.now() - started;
  write();
  log(
    `\n${table(rows)}\n\nseed ${seed}, ${short ? 'short' : `runs ${runs}`}, wall time ${(result.wallMs / 60_000).toFixed(1)} min; left in any of ${regions.length} regions: ${result.leftAnywhere.length}; ${opts.out}`,
  );
  if (workers.crashed.length) log(`workers that exited on their own: ${JSON.stringify(workers.crashed)}`);
  return result;
}

/** Every row clean: nothing left, nothing made twice, every lab as expected, no secret. */
export const clean = (r: ChaosResult): boolean =>
  r.secrets.findings.length === 0 &&
  r.leftAnywhere.length === 0 &&
  r.batches.every((b) => b.left.length === 0 && b.madeTwice.length === 0 && b.labs.every((l) => l.asExpected));
