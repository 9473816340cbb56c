// Lone labs, one after another on one profile: each phase's time, the lab's wall time, and the
// wall time against the critical path of the profile's delays (bench/critical-path.ts).
import { formatSeconds } from '../lab/duration.js';
import { labSpecSchema } from '../lab/spec.js';
import { latencyProfileSchema } from '../sandbox/cloud/latency.js';
import { sandboxSpec } from '../test/helpers/lab.js';
import { gatewayAdmin } from '../test/helpers/sandbox.js';
import { criticalPath } from './critical-path.js';
import { againstTarget, row } from './format.js';
import { labsAtOnce, type BenchWorker, type LabRecord } from './labs.js';
import { quantiles } from '../lab/report.js';

/** The target: a lab's wall time at most this many times its critical path. */
const criticalPathTarget = 1.1;

export interface LoneFigures {
  profile: string;
  wallMs: number;
  criticalPathMs: number;
  criticalPathSteps: string[];
  records: LabRecord[];
}

export async function loneLabs(
  worker: BenchWorker,
  profileName: 'fast' | 'realistic',
  count: number,
  print: (line: string) => void,
): Promise<LoneFigures> {
  // The profile the gateway runs from now on, as it says, so the path is of the delays in force.
  const profile = latencyProfileSchema.parse(await gatewayAdmin('PUT', 'profile', { name: profileName }));
  const records: LabRecord[] = [];
  for (let i = 0; i < count; i++) {
    const [record] = await labsAtOnce(worker, 1, profileName);
    records.push(record!);
    print(
      `${profileName} run ${i + 1}/${count}: ${record!.outcome} in ${formatSeconds(record!.wallMs)}, ${record!.historyEvents} history events`,
    );
  }
  const perPhase = new Map<string, number[]>();
  for (const r of records)
    for (const p of r.phases) perPhase.set(p.phase, [...(perPhase.get(p.phase) ?? []), p.durationMs]);
  const walls = records.map((r) => r.wallMs);
  const path = criticalPath({ profile, spec: labSpecSchema.parse(sandboxSpec()) });
  const wallMs = quantiles(walls).p50;
  print(`\n${count} lone lab${count === 1 ? '' : 's'}, all phases, ${profileName} profile`);
  print(row('lab wall time', walls));
  for (const [phase, values] of perPhase) print(row(phase, values));
  print(`critical path    ${formatSeconds(path.totalMs)}: ${path.steps.join(' → ')}`);
  print(`wall / path      ${againstTarget(wallMs / path.totalMs, criticalPathTarget)}`);
  return { profile: profileName, wallMs, criticalPathMs: path.totalMs, criticalPathSteps: path.steps, records };
}
