// `npm run bench [-- runs]`: whole labs on the sandbox, timed. Prints figures, asserts nothing:
// the lab's wall time per phase, history events per lab, and the worker process's memory — for
// `runs` labs on the `fast` profile, then one on the `realistic` profile, whose delays are AWS's
// shape scaled down (so waits, heartbeats and timeouts are exercised as on AWS).
import { runLab, sandboxSpec } from '../test/helpers/lab.js';
import { gatewayAdmin } from '../test/helpers/sandbox.js';
import { formatSeconds } from '../lab/duration.js';
import { quantiles } from '../lab/report.js';
import { up } from '../sandbox/sandbox.js';

const runs = Number(process.argv[2] ?? 3);
await up({ profile: 'fast', print: () => undefined });

const row = (name: string, values: number[], unit = 'ms'): string => {
  const q = quantiles(values);
  return `${name.padEnd(14)} p50 ${String(q.p50).padStart(7)} ${unit}  max ${String(q.max).padStart(7)} ${unit}`;
};

async function bench(profile: 'fast' | 'realistic', count: number): Promise<void> {
  await gatewayAdmin('PUT', 'profile', { name: profile });
  const walls: number[] = [];
  const events: number[] = [];
  const perPhase = new Map<string, number[]>();
  for (let i = 0; i < count; i++) {
    const started = Date.now();
    const outcome = await runLab(sandboxSpec());
    walls.push(Date.now() - started);
    events.push(outcome.historyEvents);
    for (const p of outcome.report.phases) perPhase.set(p.phase, [...(perPhase.get(p.phase) ?? []), p.durationMs ?? 0]);
    console.log(
      `${profile} run ${i + 1}/${count}: ${outcome.report.outcome} in ${formatSeconds(walls.at(-1)!)}, ${outcome.historyEvents} history events`,
    );
  }
  console.log(`\n${count} labs, all phases, ${profile} profile`);
  console.log(row('lab wall time', walls));
  for (const [phase, values] of perPhase) console.log(row(phase, values));
  console.log(row('history', events, 'ev'));
}

try {
  await bench('fast', runs);
  await bench('realistic', 1);
} finally {
  await gatewayAdmin('PUT', 'profile', { name: 'fast' });
}
console.log(
  `\nworker RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`,
);
process.exit(0);
