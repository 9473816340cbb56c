// worker-kill: SIGKILL the lab's worker at random points spread over every phase (teardown
// included) and start a new one; the lab completes with its normal outcome.
import { optionalPhases, type OptionalPhase, type PhaseId } from '../../../lab/phases.js';
import { atPhase, batch, chaosSpec, fault, faultablePhases, labWith, momentIn, passes, sleep } from '../labs.js';
import type { Scenario } from './types.js';

export const workerKill: Scenario = {
  name: 'worker-kill',
  about: 'SIGKILL the worker in random phases, start a new one; every lab passes',
  async run(ctx) {
    const labs = ctx.short ? 1 : ctx.runs;
    const phases: OptionalPhase[] = ctx.short ? [] : [...optionalPhases];
    // At least 10 kills over the runs, and one more: the leak check can end before its kill lands.
    const perLab = ctx.short ? 1 : Math.max(4, Math.ceil(11 / labs));
    // Every phase gets its kills before any gets a second: shuffled rounds over the phase list.
    // The short run's one kill must land: the leak check can end before any kill reaches it.
    const pool = faultablePhases(phases).filter((p) => !ctx.short || p !== 'leakCheck');
    const points: PhaseId[] = [];
    while (points.length < labs * perLab) points.push(...ctx.rng.sample(pool, pool.length));
    const order = (p: PhaseId): number => pool.indexOf(p);
    return [
      await batch(ctx, 'worker-kill', async () => {
        const records = [];
        for (let i = 0; i < labs; i++) {
          const targets = [...new Set(points.slice(i * perLab, (i + 1) * perLab))].sort((a, b) => order(a) - order(b));
          records.push(
            await labWith(ctx, chaosSpec('wk', phases), passes, async (handle, faults) => {
              for (const phase of targets) {
                if ((await atPhase(handle, phase)).closed) return;
                // Where the lab is at the moment of the kill, not when the phase was first seen.
                const state = await momentIn(handle, ctx.rng, 3000);
                if (state.closed) return;
                // A worker that exited on its own is replaced first, so no kill is skipped.
                if (!ctx.workers.alive.size) {
                  ctx.workers.start();
                  await ctx.workers.polling();
                }
                const worker = [...ctx.workers.alive.values()][0]!;
                ctx.workers.kill(worker);
                faults.push(
                  fault(
                    'SIGKILL worker',
                    state,
                    `pid ${worker.pid}, pending ${state.pending.map((p) => p.type).join(',') || 'none'}`,
                  ),
                );
                ctx.log(`    killed worker ${worker.pid} in ${state.phase}`);
                await sleep(ctx.rng.int(0, 2000));
                ctx.workers.start();
                await ctx.workers.polling();
              }
            }),
          );
        }
        return records;
      }),
    ];
  },
};
