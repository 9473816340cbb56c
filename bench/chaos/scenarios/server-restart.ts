// server-restart: the Temporal dev server stops mid-lab and starts again on the same SQLite
// database; the lab resumes and completes.
import type { OptionalPhase } from '../../../lab/phases.js';
import { startDaemon, stopDaemon } from '../../../sandbox/processes.js';
import { daemons } from '../../../sandbox/sandbox.js';
import { atPhase, batch, chaosSpec, fault, faultablePhases, labWith, momentIn, passes, sleep } from '../labs.js';
import type { Scenario } from './types.js';

export const serverRestart: Scenario = {
  name: 'server-restart',
  about: 'stop the Temporal dev server mid-lab, start it on the same database; every lab passes',
  async run(ctx) {
    const labs = ctx.short ? 1 : ctx.runs;
    const phases: OptionalPhase[] = ctx.short ? [] : ['networking', 'density'];
    const temporal = daemons('fast').find((d) => d.name === 'temporal')!;
    return [
      await batch(ctx, 'server-restart', async () => {
        const records = [];
        for (let i = 0; i < labs; i++) {
          const phase = ctx.rng.pick(faultablePhases(phases));
          records.push(
            await labWith(ctx, chaosSpec('sr', phases), passes, async (handle, faults) => {
              if ((await atPhase(handle, phase)).closed) return;
              const state = await momentIn(handle, ctx.rng, 3000);
              if (state.closed) return;
              const down = ctx.rng.int(1000, 8000);
              await stopDaemon('temporal', 10_000);
              faults.push(fault('Temporal server restart', state, `down ${down} ms`));
              ctx.log(`    stopped the Temporal server in ${state.phase} for ${down} ms`);
              await sleep(down);
              await startDaemon(temporal, 120_000);
              // A worker that gave up while the server was away is a finding; a supervisor starts another.
              if (ctx.workers.alive.size === 0) ctx.workers.start();
              await ctx.workers.polling(1);
            }),
          );
        }
        return records;
      }),
    ];
  },
};
