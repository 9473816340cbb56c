// Concurrency levels: N whole labs at once, each with its own cluster and control plane, on the
// fast profile. Per level: wall time, each lab's time against a lone lab's, failures, and memory
// at its peak. With `findLimit`, the level keeps rising past the last one asked for until a lab
// fails or memory runs short: the most labs that held, and what broke first.
import { formatSeconds } from '../lab/duration.js';
import { quantiles, type Quantiles } from '../lab/report.js';
import { againstTarget, mib } from './format.js';
import { labsAtOnce, type BenchWorker, type LabRecord } from './labs.js';
import { sandboxTotalBytes, watchMemory, type MemorySample } from './memory.js';

/** The targets: each lab within 3 × a lone lab's time, the worker within 1 GiB. */
const perLabTarget = 3;
const workerRssTarget = 2 ** 30;
/** Memory runs short when less than this share of the machine's is left at a level's peak. */
const shortOfMemoryShare = 0.05;

export interface LevelFigures {
  labs: number;
  wallMs: number;
  perLabMs: Quantiles;
  /** The slowest lab against a lone one. */
  slowestToLone: number;
  failures: number;
  memoryPeak: MemorySample;
  /** Why this level did not hold, if it did not. */
  broke?: string;
}

export interface LevelOptions {
  levels: number[];
  findLimit: boolean;
  /** How much each level past the last asked for adds, while finding the limit. */
  limitStep: number;
}

export interface LevelRun {
  figures: LevelFigures;
  records: LabRecord[];
}

function whatBroke(records: LabRecord[], peak: MemorySample): string | undefined {
  const failed = records.find((r) => r.outcome !== 'passed');
  if (failed) return `lab ${failed.labId} ${failed.outcome}: ${failed.error ?? 'no reason given'}`;
  const left = peak.machineTotalBytes - peak.machineUsedBytes;
  if (left < peak.machineTotalBytes * shortOfMemoryShare) return `memory short: ${mib(left)} left at the peak`;
  return undefined;
}

/** Runs one level and prints its figures; `loneMs` is a lone lab's time on the same profile. */
export async function runLevel(
  worker: BenchWorker,
  labs: number,
  loneMs: number,
  print: (line: string) => void,
): Promise<LevelRun> {
  const memory = watchMemory();
  const started = Date.now();
  const records = await labsAtOnce(worker, labs, 'fast');
  const wallMs = Date.now() - started;
  const memoryPeak = memory.stop();
  const perLabMs = quantiles(records.map((r) => r.wallMs));
  const figures: LevelFigures = {
    labs,
    wallMs,
    perLabMs,
    slowestToLone: perLabMs.max / loneMs,
    failures: records.filter((r) => r.outcome !== 'passed').length,
    memoryPeak,
    broke: whatBroke(records, memoryPeak),
  };
  const programs = Object.entries(memoryPeak.sandboxRssBytes)
    .sort(([, a], [, b]) => b - a)
    .map(([name, bytes]) => `${name} ${mib(bytes)}`)
    .join(', ');
  print(
    `\n${labs} lab${labs === 1 ? '' : 's'} at once, fast profile: wall ${formatSeconds(wallMs)}, ${figures.failures} failed`,
  );
  print(`  per lab        p50 ${formatSeconds(perLabMs.p50)}  max ${formatSeconds(perLabMs.max)}`);
  print(`  slowest / lone ${againstTarget(figures.slowestToLone, perLabTarget)}`);
  const workerRss = memoryPeak.workerRssBytes;
  print(`  worker RSS     ${againstTarget(workerRss, workerRssTarget, mib(workerRss), mib(workerRssTarget))}`);
  print(`  machine        ${mib(memoryPeak.machineUsedBytes)} used of ${mib(memoryPeak.machineTotalBytes)}`);
  print(`  sandbox RSS    ${mib(sandboxTotalBytes(memoryPeak))}: ${programs}`);
  if (figures.broke) print(`  broke: ${figures.broke}`);
  return { figures, records };
}

/** Each level asked for, and past the last while finding the limit; `atLevel` runs one (runLevel). */
export async function concurrencyLevels(
  options: LevelOptions,
  atLevel: (labs: number) => Promise<LevelRun>,
  print: (line: string) => void,
): Promise<{ levels: LevelFigures[]; records: LabRecord[]; limit?: { heldLabs: number; brokeFirst?: string } }> {
  const levels: LevelFigures[] = [];
  const records: LabRecord[] = [];
  const asked = [...options.levels];
  for (let labs = asked.shift(); labs !== undefined; labs = asked.shift()) {
    const ran = await atLevel(labs);
    levels.push(ran.figures);
    records.push(...ran.records);
    if (options.findLimit && ran.figures.broke) break;
    if (options.findLimit && asked.length === 0) asked.push(labs + options.limitStep);
  }
  if (!options.findLimit) return { levels, records };
  const held = levels.filter((l) => !l.broke).at(-1);
  const limit = { heldLabs: held?.labs ?? 0, brokeFirst: levels.find((l) => l.broke)?.broke };
  print(`\nlimit: ${limit.heldLabs} labs at once held; past it: ${limit.brokeFirst ?? 'nothing broke'}`);
  return { levels, records, limit };
}
