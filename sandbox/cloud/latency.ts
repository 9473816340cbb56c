// How long the emulated cloud takes. `fast` keeps tests quick while still passing through
// every IN_PROGRESS state; `realistic` is for demos and the benchmark (scaled down from AWS's
// ~10-20 minute cluster creation so a demo still finishes).
import { z } from 'zod';
import { cloudDelaysSchema } from '../../lab/cloud-delays.js';

export const latencyProfileSchema = cloudDelaysSchema.extend({ name: z.string() });
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
