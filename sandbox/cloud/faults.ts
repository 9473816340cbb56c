// Fault injection: make a named AWS API call fail once, always, or for a share of calls, so
// every retry and compensation path of the lab can be exercised against the sandbox.
import { z } from 'zod';
import { faultErrors, type FaultError } from './protocol.js';

export const faultSpecSchema = z
  .object({
    /** The API operation, as AWS names it: `CreateNodegroup`, `CreateStack`, …; `*` for every operation. */
    operation: z.string().min(1),
    /** Limit the fault to one service (`eks`, `ec2`, …); any service when omitted. */
    service: z.string().optional(),
    mode: z.enum(['once', 'always', 'rate']).default('once'),
    /** With mode `rate`: the share of matching calls that fail, 0 to 1. */
    rate: z.number().min(0).max(1).default(1),
    error: z.enum(Object.keys(faultErrors) as [FaultError, ...FaultError[]]).default('InternalError'),
    message: z.string().default('injected by the eks-netlab sandbox'),
    /** Fail after the call took effect, as when AWS did the work but the answer was lost. */
    after: z.boolean().default(false),
    /**
     * Instead of an error: the call succeeds and the resource later ends in this state, as EKS
     * reports it (CreateAddon → CREATE_FAILED or DEGRADED, DeleteNodegroup → DELETE_FAILED).
     */
    outcome: z.enum(['CREATE_FAILED', 'DEGRADED', 'DELETE_FAILED']).optional(),
  })
  .refine(
    (f) =>
      !f.outcome ||
      (f.operation === 'CreateAddon' && f.outcome !== 'DELETE_FAILED') ||
      (f.operation === 'DeleteNodegroup' && f.outcome === 'DELETE_FAILED'),
    {
      message: 'outcome CREATE_FAILED or DEGRADED goes with CreateAddon, DELETE_FAILED with DeleteNodegroup',
      path: ['outcome'],
    },
  );
export type FaultSpec = z.infer<typeof faultSpecSchema>;

export interface Fault extends FaultSpec {
  id: number;
  /** How many calls this fault has failed so far. */
  hits: number;
}

export class FaultInjector {
  private faults: Fault[] = [];
  private nextId = 1;

  add(spec: FaultSpec): Fault {
    const fault = { ...spec, id: this.nextId++, hits: 0 };
    this.faults.push(fault);
    return fault;
  }

  list(): Fault[] {
    return this.faults;
  }

  clear(): void {
    this.faults = [];
  }

  /** The fault that fails this call, if any; a `once` fault is used up by its first hit. */
  match(service: string, operation: string): Fault | undefined {
    const fault = this.faults.find(
      (f) =>
        (f.operation === '*' || f.operation === operation) &&
        (!f.service || f.service === service) &&
        (f.mode !== 'rate' || Math.random() < f.rate),
    );
    if (!fault) return undefined;
    fault.hits++;
    if (fault.mode === 'once') this.faults = this.faults.filter((f) => f !== fault);
    return fault;
  }
}
