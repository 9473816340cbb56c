// The sandbox as a whole: bring every part up (installing tools the first time), say what
// runs where, and bring it all down again. Used by the `sandbox` CLI, `start-lab` and tests.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { formatSeconds } from '../lab/duration.js';
import { labSearchAttributes } from '../lab/search-attributes.js';
import { endpoints, ports, projectRoot, stateDir, temporalDbFile, versions } from './config.js';
import { deleteKwokCluster, kwokClusters } from './cloud/kwok.js';
import { logFile, portOpen, runningPid, startDaemon, stopDaemon, type Daemon } from './processes.js';
import { installTools, toolPaths } from './tools.js';

export type Profile = 'fast' | 'realistic';

export function daemons(profile: Profile): Daemon[] {
  return [
    {
      name: 'temporal',
      command: toolPaths.temporal,
      args: [
        'server',
        'start-dev',
        '--ip',
        endpoints.host,
        '--port',
        String(ports.temporal),
        '--ui-port',
        String(ports.temporalUi),
        '--db-filename',
        temporalDbFile,
        '--log-level',
        'warn',
        // The lab's search attributes are all keywords.
        ...labSearchAttributes.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]),
      ],
      port: ports.temporal,
      reuseExternal: true,
    },
    {
      name: 'moto',
      command: toolPaths.motoServer,
      args: ['-H', endpoints.host, '-p', String(ports.moto)],
      // AWS's managed policies (AmazonEKSWorkerNodePolicy, …), which the lab's roles attach.
      env: { MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' },
      port: ports.moto,
      reuseExternal: true,
    },
    {
      name: 'cloud',
      command: process.execPath,
      args: ['--import', 'tsx', join(projectRoot, 'sandbox', 'cloud', 'main.ts')],
      env: { NETLAB_PROFILE: profile },
      port: ports.gateway,
    },
  ];
}

/** Why the running sandbox cannot take the latency profile asked for. */
export class ProfileInUse extends Error {}

/**
 * Brings every part up. `profile` is the latency profile the caller needs: a sandbox already
 * running another one is switched, or refused with ProfileInUse while clusters are up (the
 * profile is the whole cloud's, so switching would change other labs' delays mid-way). Without
 * `profile`, a running sandbox keeps its own and a new one starts on `fast`.
 */
export async function up(opts: { profile?: Profile; print?: (line: string) => void } = {}): Promise<void> {
  const print = opts.print ?? console.log;
  await installTools(print);
  for (const d of daemons(opts.profile ?? 'fast')) {
    const started = Date.now();
    const result = await startDaemon(d, 120_000);
    const took = formatSeconds(Date.now() - started);
    if (result === 'started') print(`started ${d.name} on 127.0.0.1:${d.port} in ${took}`);
    if (result === 'external') print(`using the ${d.name} already listening on 127.0.0.1:${d.port}`);
  }
  if (opts.profile) await useProfile(opts.profile, print);
}

async function useProfile(profile: Profile, print: (line: string) => void): Promise<void> {
  const running = (await (await fetch(`${endpoints.gateway}/_netlab/status`)).json()) as {
    profile: { name: string };
    clusters: { name: string }[];
  };
  if (running.profile.name === profile) return;
  if (running.clusters.length > 0) {
    throw new ProfileInUse(
      `the running sandbox uses the ${running.profile.name} latency profile and ${running.clusters.length} ` +
        `cluster(s) are up (${running.clusters.map((c) => c.name).join(', ')}); the profile is the whole ` +
        `sandbox's, so it changes only when no cluster is up: wait for those labs, or ask for ${running.profile.name}`,
    );
  }
  const answer = await fetch(`${endpoints.gateway}/_netlab/profile`, {
    method: 'PUT',
    body: JSON.stringify({ name: profile }),
  });
  if (!answer.ok) throw new Error(`the sandbox refused profile ${profile}: ${await answer.text()}`);
  print(`switched the running sandbox from the ${running.profile.name} to the ${profile} latency profile`);
}

export async function down(print: (line: string) => void = console.log): Promise<void> {
  // The cloud removes its control planes as it stops; give it time to.
  for (const [name, graceMs] of [
    ['worker', 30_000],
    ['cloud', 90_000],
    ['moto', 10_000],
    ['temporal', 10_000],
  ] as const) {
    if (await stopDaemon(name, graceMs)) print(`stopped ${name}`);
  }
  for (const name of kwokClusters()) {
    print(`removing leftover control plane ${name}`);
    await deleteKwokCluster(name, print);
  }
}

export async function reset(print: (line: string) => void = console.log): Promise<void> {
  await down(print);
  rmSync(stateDir, { recursive: true, force: true });
  print(`removed ${stateDir}`);
}

export interface PartStatus {
  name: string;
  running: boolean;
  pid?: number;
  address: string;
  version: string;
  log: string;
}

export async function status(): Promise<{ parts: PartStatus[]; cloud?: unknown }> {
  const part = async (name: string, port: number, address: string, version: string): Promise<PartStatus> => ({
    name,
    running: runningPid(name) !== undefined && (await portOpen(port)),
    pid: runningPid(name),
    address,
    version,
    log: logFile(name),
  });
  const parts = [
    await part(
      'temporal',
      ports.temporal,
      `${endpoints.temporal} (Web UI ${endpoints.temporalUi})`,
      versions.temporalCli,
    ),
    await part('moto', ports.moto, endpoints.moto, versions.moto),
    await part(
      'cloud',
      ports.gateway,
      `AWS gateway ${endpoints.gateway}, load balancers ${endpoints.lbFront}, DNS udp://${endpoints.dns}`,
      `kubernetes ${versions.kubernetes}, kwok ${versions.kwok}, etcd ${versions.etcd}`,
    ),
  ];
  let cloud: unknown;
  if (parts[2]!.running) cloud = await (await fetch(`${endpoints.gateway}/_netlab/status`)).json();
  return { parts, cloud };
}
