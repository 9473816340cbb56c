// How long the emulated cloud takes. `fast` keeps tests quick while still passing through
// every IN_PROGRESS state; `realistic` is for demos and the benchmark (scaled down from AWS's
// ~10-20 minute cluster creation so a demo still finishes).
import { z } from 'zod';

export const latencyProfileSchema = z.object({
  name: z.string(),
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
export type LatencyProfile = z.infer<typeof latencyProfileSchema>;

export const latencyProfiles: Record<'fast' | 'realistic', LatencyProfile> = {
  fast: {
    name: 'fast',
    stackCreateMs: 500,
    clusterCreateMs: 1_000,
    clusterDeleteMs: 500,
    nodegroupCreateMs: 1_000,
    nodegroupDeleteMs: 500,
    addonCreateMs: 500,
    loadBalancerProvisionMs: 500,
    targetInitialMs: 500,
    dnsPropagationMs: 2_000,
    podStartMs: 0,
    podStartJitterMs: 0,
  },
  realistic: {
    name: 'realistic',
    stackCreateMs: 20_000,
    clusterCreateMs: 60_000,
    clusterDeleteMs: 20_000,
    nodegroupCreateMs: 45_000,
    nodegroupDeleteMs: 20_000,
    addonCreateMs: 10_000,
    loadBalancerProvisionMs: 15_000,
    targetInitialMs: 10_000,
    dnsPropagationMs: 30_000,
    // nginx:alpine pulled on a node that has not got it yet, then started.
    podStartMs: 1_000,
    podStartJitterMs: 4_000,
  },
};
