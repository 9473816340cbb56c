// two-workers: two workers poll; the one running the lab's current activity is killed
// mid-lab and not replaced; the other finishes the lab.
import type { OptionalPhase } from '../../../lab/phases.js';
import { atPhase, batch, chaosSpec, fault, faultablePhases, labWith, passes, waitUntil } from '../labs.js';
import type { Scenario } from './types.js';

export const twoWorkers: Scenario = {
  name: 'two-workers',
  about: 'two workers poll; kill the one running the current activity; the other finishes every lab',
  async run(ctx) {
    const labs = ctx.short ? 1 : ctx.runs;
    const phases: OptionalPhase[] = ctx.short ? [] : ['networking', 'density', 'lbController', 'nlb'];
    return [
      await batch(ctx, 'two-workers', async () => {
        const records = [];
        for (let i = 0; i < labs; i++) {
          while (ctx.workers.alive.size < 2) ctx.workers.start();
          await ctx.workers.polling(2);
          const phase = ctx.rng.pick(faultablePhases(phases).filter((p) => p !== 'leakCheck'));
          records.push(
            await labWith(ctx, chaosSpec('tw', phases), passes, async (handle, faults) => {
              await atPhase(handle, phase);
              // The worker that holds an activity now, so the kill loses work in flight.
              const state = await waitUntil(handle, (s) => s.pending.some((p) => ctx.workers.byIdentity(p.worker)));
              const busy = state.pending.map((p) => ctx.workers.byIdentity(p.worker)).find(Boolean);
              if (!busy) {
                ctx.log(`    no activity ran on the suite's workers from ${phase} on: does another worker poll?`);
                return;
              }
              ctx.workers.kill(busy);
              faults.push(fault('SIGKILL one of two workers', state, `pid ${busy.pid} ran ${state.pending[0]?.type}`));
              ctx.log(`    killed worker ${busy.pid} (of 2) in ${state.phase} during ${state.pending[0]?.type}`);
            }),
          );
        }
        return records;
      }),
    ];
  },
};
