// terminated: a lab is terminated (no workflow code runs, so no teardown) at a random point;
// the sweeper removes everything it left and leaves a concurrently running lab alone, which
// then passes.
import { taskQueueFor } from '../../../lab/targets.js';
import type { OptionalPhase } from '../../../lab/phases.js';
import type { SweeperResult } from '../../../workflows/sweeper.js';
import { releaseSignal } from '../../../lab/signals.js';
import {
  atPhase,
  batch,
  chaosSpec,
  fault,
  faultablePhases,
  finishLab,
  momentIn,
  passes,
  sleep,
  startLab,
  waitUntil,
} from '../labs.js';
import type { LabRecord } from '../record.js';
import type { Scenario } from './types.js';

export const terminated: Scenario = {
  name: 'terminated',
  about: 'terminate a lab at a random point, run the sweeper: all swept; a running lab is left alone and passes',
  async run(ctx) {
    const labs = ctx.short ? 1 : ctx.runs;
    const phases: OptionalPhase[] = ctx.short ? [] : ['density', 'lbController'];
    const batches = [];
    for (let i = 0; i < labs; i++) {
      batches.push(
        await batch(ctx, 'terminated', async (notes) => {
          // The bystander holds after its tests, so it is running (with its resources) while the sweeper runs.
          const bystanderSpec = chaosSpec('tb', [], { keep: true });
          const bystanderStart = Date.now();
          const bystander = await startLab(ctx, bystanderSpec);
          const spec = chaosSpec('tt', phases);
          const started = Date.now();
          const victim = await startLab(ctx, spec);
          const phase = ctx.rng.pick(faultablePhases(phases).filter((p) => p !== 'leakCheck'));
          await atPhase(victim, phase);
          // Where the lab is at the moment of the termination, not when the phase was first seen.
          const state = await momentIn(victim, ctx.rng, 4000);
          await victim.terminate('chaos: terminated');
          const faults = [fault('terminate', state, state.pending.map((p) => p.type).join(',') || undefined)];
          ctx.log(`    terminated ${spec.labId} in ${state.phase}`);
          await waitUntil(bystander, (s) => s.phase === 'report' || s.phase === 'teardown');
          // What was in flight when the lab was terminated is told so at its next heartbeat; give it that long.
          await sleep(5000);
          const sweep = (await ctx.client.workflow.execute('sweeper', {
            taskQueue: taskQueueFor('sandbox'),
            workflowId: `sweeper-${spec.labId}`,
            args: [{}],
          })) as SweeperResult;
          ctx.workflowIds.push(`sweeper-${spec.labId}`);
          const swept = sweep.swept.find((s) => s.labId === spec.labId);
          const touched = sweep.swept.some((s) => s.labId === bystanderSpec.labId);
          const foundRunning = sweep.found.find((f) => f.labId === bystanderSpec.labId)?.running;
          notes.push(
            `sweeper: ${spec.labId} ${swept ? `deleted ${swept.deleted.length}${swept.error ? `, error ${swept.error}` : ''}` : 'not swept'}; bystander ${foundRunning ? 'found running' : 'not seen running'}, ${touched ? 'TOUCHED' : 'left alone'}`,
          );
          ctx.log(`    ${notes.at(-1)}`);
          const victimRecord: LabRecord = {
            labId: spec.labId!,
            phases,
            expected: 'terminated, then swept without error (what is left: the inventory)',
            outcome: swept
              ? swept.error
                ? `sweep failed: ${swept.error}`
                : `swept ${swept.deleted.length}`
              : 'nothing of it found by the sweeper',
            // Nothing found is right when nothing was left (a lab terminated at the end of its
            // teardown): the batch's inventory diff says whether anything was.
            asExpected: !swept?.error,
            faults,
            wallMs: Date.now() - started,
          };
          await bystander.signal(releaseSignal);
          const bystanderRecord = await finishLab(
            bystander,
            bystanderSpec,
            bystanderStart,
            { what: 'passed, untouched by the sweeper', ok: (r) => passes.ok(r) && !touched },
            [],
          );
          return [victimRecord, bystanderRecord];
        }),
      );
    }
    return batches;
  },
};
