// cancel-anywhere: cancel, teardown-now or TTL expiry at random moments — half of them while a
// create call is in flight; every lab ends torn down (failed with the reason, or passed if it
// finished first), never teardown-incomplete.
import type { OptionalPhase } from '../../../lab/phases.js';
import { teardownNowSignal } from '../../../lab/signals.js';
import { parseDuration } from '../../../lab/spec.js';
import { atPhase, batch, chaosSpec, fault, faultablePhases, labWith, momentIn, waitUntil } from '../labs.js';
import type { Scenario } from './types.js';

const reasons = { cancel: 'cancelled', 'teardown-now': 'teardown requested', ttl: 'the lab TTL fired' } as const;
type How = keyof typeof reasons;
const creates = ['createNetworkStack', 'createCluster', 'createNodegroup', 'createAddons'];

export const cancelAnywhere: Scenario = {
  name: 'cancel-anywhere',
  about: 'cancel, teardown-now and TTL at random moments, half during a create call; every lab ends torn down',
  async run(ctx) {
    const phases: OptionalPhase[] = ctx.short ? [] : ['density'];
    const kinds: How[] = ['cancel', 'teardown-now', 'ttl'];
    const labs = ctx.short ? 2 : Math.max(6, ctx.runs * 3);
    return [
      await batch(ctx, 'cancel-anywhere', async () => {
        const records = [];
        for (let i = 0; i < labs; i++) {
          const how = kinds[i % kinds.length]!;
          const duringCreate = i % 2 === 0;
          const ttl = `${ctx.rng.int(15, 90)}s`;
          // Chosen up front, so the seed decides where each lab is hit.
          const create = ctx.rng.pick(creates);
          const phase = ctx.rng.pick(faultablePhases(phases).slice(0, -2));
          const spec = chaosSpec('ca', phases, how === 'ttl' ? { ttl } : {});
          const expected = {
            what: `passed, or failed: ${reasons[how]}`,
            ok: (r: { outcome: string; error?: string } | undefined) =>
              r?.outcome === 'passed' || (r?.outcome === 'failed' && r.error === reasons[how]),
          };
          records.push(
            await labWith(ctx, spec, expected, async (handle, faults) => {
              if (how === 'ttl') {
                // The TTL fires on its own: the fault's moment is the deadline.
                faults.push({ ...fault('TTL', undefined, `ttl ${ttl}`), at: Date.now() + parseDuration(ttl)! });
                return;
              }
              const reached = duringCreate
                ? await waitUntil(handle, (s) => s.pending.some((p) => p.type === create))
                : await atPhase(handle, phase);
              if (reached.closed) return;
              const state = duringCreate ? reached : await momentIn(handle, ctx.rng, 5000);
              if (state.closed) return;
              if (how === 'cancel') await handle.cancel();
              else await handle.signal(teardownNowSignal);
              const inFlight = state.pending.map((p) => p.type).join(',');
              faults.push(fault(how, state, inFlight ? `during ${inFlight}` : undefined));
              ctx.log(`    ${how} in ${state.phase}${inFlight ? ` during ${inFlight}` : ''}`);
            }),
          );
        }
        return records;
      }),
    ];
  },
};
