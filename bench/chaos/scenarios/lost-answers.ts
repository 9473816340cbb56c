// lost-answers: each create call the lab makes takes effect but its answer is lost (fault
// `after`); the lab retries and nothing is made twice. Kubernetes objects and Helm releases go
// to the API server, not the gateway: their lost answers are not thrown here.
import { optionalPhases, type OptionalPhase } from '../../../lab/phases.js';
import type { Fault } from '../../../sandbox/cloud/faults.js';
import { batch, chaosSpec, gatewayFaults, labWith, passes } from '../labs.js';
import type { Scenario } from './types.js';

const deployCreates = [
  ['cloudformation', 'CreateStack'],
  ['eks', 'CreateCluster'],
  ['eks', 'CreateNodegroup'],
  ['eks', 'CreateAddon'],
] as const;
const laterCreates = [
  ['iam', 'CreateOpenIDConnectProvider'],
  ['iam', 'CreateRole'],
  ['iam', 'CreatePolicy'],
  ['iam', 'AttachRolePolicy'],
  ['route53', 'CreateHostedZone'],
  ['route53', 'ChangeResourceRecordSets'],
] as const;

export const lostAnswers: Scenario = {
  name: 'lost-answers',
  about: "every create's answer lost once after it took effect; nothing made twice, every lab passes",
  async run(ctx) {
    const labs = ctx.short ? 1 : ctx.runs;
    const phases: OptionalPhase[] = ctx.short ? [] : [...optionalPhases];
    const creates = ctx.short ? deployCreates : [...deployCreates, ...laterCreates];
    return [
      await batch(ctx, 'lost-answers', async () => {
        const records = [];
        for (let i = 0; i < labs; i++) {
          const thrown: Fault[] = [];
          for (const [service, operation] of creates)
            thrown.push(
              await gatewayFaults<Fault>('POST', {
                service,
                operation,
                mode: 'once',
                error: 'InternalError',
                after: true,
              }),
            );
          const record = await labWith(ctx, chaosSpec('la', phases), passes, async () => undefined);
          const unhit = new Set((await gatewayFaults<Fault[]>('GET')).map((f) => f.id));
          await gatewayFaults('DELETE');
          record.faults = thrown
            .filter((f) => !unhit.has(f.id))
            .map((f) => ({ kind: 'lost answer', at: Date.now(), detail: `${f.service} ${f.operation}` }));
          const missed = thrown.filter((f) => unhit.has(f.id)).map((f) => f.operation);
          if (missed.length) ctx.log(`    never called (fault not thrown): ${missed.join(', ')}`);
          records.push(record);
        }
        return records;
      }),
    ];
  },
};
