// api-server-restart: the lab cluster's kube-apiserver process dies mid-phase (SIGKILL or
// SIGTERM) and the sandbox's supervisor starts it again, as EKS's does; the lab passes.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OptionalPhase } from '../../../lab/phases.js';
import { clusterDir, exitedComponents, kwokName } from '../../../sandbox/cloud/kwok.js';
import { atPhase, batch, chaosSpec, fault, labWith, momentIn, passes, sleep } from '../labs.js';
import type { Scenario } from './types.js';

async function restartApiServer(labId: string, signal: NodeJS.Signals): Promise<string> {
  const name = kwokName(labId);
  const pidFile = join(clusterDir(name), 'pids', 'kube-apiserver.pid');
  if (!existsSync(pidFile)) return 'no control plane yet';
  const pid = Number(readFileSync(pidFile, 'utf8'));
  process.kill(pid, signal);
  const killed = Date.now();
  // Nothing here starts it again: the sandbox's control-plane supervisor must (sandbox/cloud/kwok.ts).
  const deadline = killed + 120_000;
  const currentPid = (): number => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0);
  while ([pid, 0].includes(currentPid()) || exitedComponents(name).includes('kube-apiserver')) {
    if (Date.now() > deadline) return `pid ${pid} ${signal}, not started again within 120 s`;
    await sleep(200);
  }
  return `pid ${pid} ${signal}, started again by the supervisor in ${((Date.now() - killed) / 1000).toFixed(1)} s`;
}

export const apiServerRestart: Scenario = {
  name: 'api-server-restart',
  about: "the cluster's kube-apiserver dies mid-phase and restarts; every lab passes",
  async run(ctx) {
    const labs = ctx.short ? 1 : ctx.runs;
    const phases: OptionalPhase[] = ctx.short ? [] : ['networking', 'density', 'lbController', 'nlb'];
    // Phases that talk to the API server (deploy's add-ons do too, through EKS).
    const during = ['nodes', ...phases, 'teardown'] as const;
    return [
      await batch(ctx, 'api-server-restart', async () => {
        const records = [];
        for (let i = 0; i < labs; i++) {
          const spec = chaosSpec('ar', phases);
          const targets = ctx.short
            ? (['nodes'] as const)
            : ctx.rng.sample(during, 2).sort((a, b) => during.indexOf(a) - during.indexOf(b));
          records.push(
            await labWith(ctx, spec, passes, async (handle, faults) => {
              for (const phase of targets) {
                if ((await atPhase(handle, phase)).closed) return;
                const state = await momentIn(handle, ctx.rng, 2000);
                if (state.closed) return;
                const detail = await restartApiServer(spec.labId!, ctx.rng.pick(['SIGKILL', 'SIGTERM'] as const));
                faults.push(fault('kube-apiserver restart', state, detail));
                ctx.log(`    kube-apiserver of ${spec.labId} in ${state.phase}: ${detail}`);
              }
            }),
          );
        }
        return records;
      }),
    ];
  },
};
