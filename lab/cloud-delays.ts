// The cloud's delays a lab waits out, by name: how long a stack, a cluster, a node group… takes to
// come about. The sandbox emulates them (its latency profiles); the
// bench adds them up along the lab's graph (lab/graph.ts) into the critical path.
import { z } from 'zod';

export const cloudDelaysSchema = z.object({
  stackCreateMs: z.number().nonnegative(),
  clusterCreateMs: z.number().nonnegative(),
  clusterDeleteMs: z.number().nonnegative(),
  nodegroupCreateMs: z.number().nonnegative(),
  nodegroupDeleteMs: z.number().nonnegative(),
  addonCreateMs: z.number().nonnegative(),
  loadBalancerProvisionMs: z.number().nonnegative(),
  /** How long a registered target stays `initial` (its first health checks). */
  targetInitialMs: z.number().nonnegative(),
  dnsPropagationMs: z.number().nonnegative(),
  /** A pod's image pull and container start: at least this long… */
  podStartMs: z.number().nonnegative().default(0),
  /** …and at most this long, drawn per pod (KWOK's stage jitter). */
  podStartJitterMs: z.number().nonnegative().default(0),
});
export type CloudDelays = z.infer<typeof cloudDelaysSchema>;
