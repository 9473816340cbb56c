// api-server-restart: the lab cluster's kube-apiserver process dies mid-phase (SIGKILL or
// SIGTERM) and kwokctl starts it again, as a control plane restarts on EKS; the lab passes.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OptionalPhase } from '../../../lab/phases.js';
import { clusterDir, kwokEnv, kwokName } from '../../../sandbox/cloud/kwok.js';
import { run, toolPaths } from '../../../sandbox/tools.js';
import { isAlive } from '../../../sandbox/processes.js';
import { atPhase, batch, chaosSpec, fault, labWith, passes, sleep } from '../labs.js';
import type { Scenario } from './types.js';

async function restartApiServer(labId: string, signal: NodeJS.Signals): Promise<string> {
  const name = kwokName(labId);
  const pidFile = join(clusterDir(name), 'pids', 'kube-apiserver.pid');
  if (!existsSync(pidFile)) return 'no control plane yet';
  const pid = Number(readFileSync(pidFile, 'utf8'));
  process.kill(pid, signal);
  while (isAlive(pid)) await sleep(100);
  // kwokctl starts the components of the cluster that are not running: here, the API server.
  await run(toolPaths.kwokctl, ['start', 'cluster', '--name', name], () => undefined, { env: kwokEnv });
  return `pid ${pid} ${signal}, started again`;
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
                const state = await atPhase(handle, phase);
                if (state.closed) return;
                await sleep(ctx.rng.int(0, 2000));
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
