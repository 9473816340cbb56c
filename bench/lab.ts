// `npm run bench`: whole labs on the sandbox, timed. Prints figures, asserts nothing: the lab's
// wall time per phase, history events per lab, and the worker process's memory.
import { runLab, sandboxSpec } from '../test/helpers/lab.js';
import { quantiles } from '../lab/report.js';
import { up } from '../sandbox/sandbox.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const runs = Number(process.argv[2] ?? 3);
await up({ profile: 'fast', print: () => undefined });
const walls: number[] = [];
const events: number[] = [];
const perPhase = new Map<string, number[]>();
for (let i = 0; i < runs; i++) {
  const started = Date.now();
  const outcome = await runLab(sandboxSpec());
  walls.push(Date.now() - started);
  events.push(outcome.historyEvents);
  for (const p of outcome.report.phases) perPhase.set(p.phase, [...(perPhase.get(p.phase) ?? []), p.durationMs ?? 0]);
  console.log(
    `run ${i + 1}/${runs}: ${outcome.report.outcome} in ${(walls.at(-1)! / 1000).toFixed(1)} s, ${outcome.historyEvents} history events`,
  );
}
const row = (name: string, values: number[], unit = 'ms'): string => {
  const q = quantiles(values);
  return `${name.padEnd(14)} p50 ${String(q.p50).padStart(7)} ${unit}  max ${String(q.max).padStart(7)} ${unit}`;
};
console.log(`\n${runs} labs, all phases, fast profile`);
console.log(row('lab wall time', walls));
for (const [phase, values] of perPhase) console.log(row(phase, values));
console.log(row('history', events, 'ev'));
console.log(
  `worker RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`,
);
process.exit(0);
