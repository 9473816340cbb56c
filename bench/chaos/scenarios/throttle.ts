// throttle: 20 % of every AWS call the gateway serves answers Throttling; every lab passes.
// (Route53's own limit of 5 requests per second is the sandbox's to enforce: issue 8.)
import { optionalPhases, type OptionalPhase } from '../../../lab/phases.js';
import type { Fault } from '../../../sandbox/cloud/faults.js';
import { batch, chaosSpec, gatewayFaults, labWith, passes } from '../labs.js';
import type { Scenario } from './types.js';

export const throttle: Scenario = {
  name: 'throttle',
  about: '20% of all AWS calls answer Throttling; every lab passes',
  async run(ctx) {
    const labs = ctx.short ? 1 : ctx.runs;
    const phases: OptionalPhase[] = ctx.short ? [] : [...optionalPhases];
    return [
      await batch(ctx, 'throttle', async () => {
        const records = [];
        for (let i = 0; i < labs; i++) {
          const throttling = await gatewayFaults<Fault>('POST', {
            operation: '*',
            mode: 'rate',
            rate: 0.2,
            error: 'Throttling',
            message: 'Rate exceeded',
          });
          const record = await labWith(ctx, chaosSpec('th', phases), passes, async () => undefined);
          const hits = (await gatewayFaults<Fault[]>('GET')).find((f) => f.id === throttling.id)?.hits ?? 0;
          await gatewayFaults('DELETE');
          // Each throttled call is a fault thrown; the lab's own retries are its recovery.
          record.faults = Array.from({ length: hits }, () => ({ kind: 'Throttling', at: Date.now() }));
          records.push(record);
        }
        return records;
      }),
    ];
  },
};
