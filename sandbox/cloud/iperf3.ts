// KWOK's pods run nothing, so the sandbox runs each iperf3 server pod's server itself: a real
// `iperf3 -s` on a free loopback port of this machine while the pod is Running, whose port it
// writes where the iperf3 shim (sandbox/shims/iperf3) finds it by the pod's IP. A client exec'ed
// in another pod then measures the loopback path to it. A server stops when its pod goes, its
// cluster stops or the cloud shuts down.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig, type V1Container, type V1Pod } from '@kubernetes/client-node';
import { logDir } from '../config.js';
import { portOpen, waitFor } from '../processes.js';
import { toolPaths } from '../tools.js';
import { kwokName, podStateDir } from './kwok.js';
import { ClusterWatcher } from './reconcile.js';

interface Server {
  pod: string;
  ip: string;
  port: number;
  child: ChildProcess;
  running: boolean;
  exited: Promise<void>;
}

interface ClusterWatch {
  kc: KubeConfig;
  /** Where the shim looks: `<pod IP>.port` files, and each server's pid file. */
  dir: string;
  /** Running servers by pod uid. */
  servers: Map<string, Server>;
}

/** A container that runs the iperf3 server: the iperf3 image, with `-s` in its command line. */
function runsIperf3Server(c: V1Container): boolean {
  const commandLine = [...(c.command ?? []), ...(c.args ?? [])];
  return /iperf3/.test(c.image ?? '') && commandLine.some((a) => a === '-s' || a === '--server');
}

/** A TCP port free on 127.0.0.1 now; iperf3 takes it a moment later (it uses the same port for UDP). */
function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolvePromise(port));
    });
  });
}

export class Iperf3Emulator extends ClusterWatcher<ClusterWatch> {
  constructor(log: (line: string) => void) {
    super('iperf3 servers', 1_000, log);
  }

  watch(cluster: string, kc: KubeConfig): void {
    const dir = join(podStateDir(kwokName(cluster)), 'iperf3');
    mkdirSync(dir, { recursive: true });
    this.watchWith(cluster, { kc, dir, servers: new Map() });
  }

  /** Stops every iperf3 server of the cluster; resolves once each has exited, before a later watch starts it again. */
  protected override async release(cluster: string, entry: ClusterWatch): Promise<void> {
    await Promise.all(
      [...entry.servers.keys()].map((uid) => this.stop(cluster, entry, uid, 'its cluster is stopping')),
    );
  }

  protected async reconcile(cluster: string, entry: ClusterWatch): Promise<void> {
    const pods = await entry.kc.makeApiClient(CoreV1Api).listPodForAllNamespaces();
    const wanted = new Map<string, V1Pod>();
    for (const pod of pods.items) {
      const running = pod.status?.phase === 'Running' && pod.status.podIP && !pod.metadata?.deletionTimestamp;
      if (running && (pod.spec?.containers ?? []).some(runsIperf3Server)) wanted.set(pod.metadata!.uid!, pod);
    }
    for (const [uid, server] of entry.servers) {
      const pod = wanted.get(uid);
      if (pod?.status?.podIP === server.ip && server.running) continue;
      await this.stop(cluster, entry, uid, pod ? 'it exited or its pod IP changed' : 'its pod is gone');
    }
    for (const [uid, pod] of wanted) {
      if (!entry.servers.has(uid) && this.isWatched(cluster, entry)) await this.start(cluster, entry, uid, pod);
    }
  }

  private async start(cluster: string, entry: ClusterWatch, uid: string, pod: V1Pod): Promise<void> {
    const name = `${pod.metadata!.namespace}/${pod.metadata!.name}`;
    const ip = pod.status!.podIP!;
    const port = await freePort();
    const args = ['-s', '-B', '127.0.0.1', '-p', String(port), '--pidfile', join(entry.dir, `${ip}.pid`)];
    mkdirSync(logDir, { recursive: true });
    const out = openSync(join(logDir, `iperf3-${cluster}.log`), 'a');
    const child = spawn(toolPaths.iperf3, args, { stdio: ['ignore', out, out] });
    closeSync(out);
    const server: Server = { pod: name, ip, port, child, running: true, exited: Promise.resolve() };
    server.exited = new Promise<void>((resolvePromise) => {
      child.once('exit', () => {
        server.running = false;
        resolvePromise();
      });
      child.once('error', (err) => {
        this.log(`${cluster}: iperf3 server for ${name} failed to start: ${err.message}`);
        server.running = false;
        resolvePromise();
      });
    });
    entry.servers.set(uid, server);
    // The shim connects as soon as the port file exists: write it once the server listens (the
    // server logs this probe as a client that sent nothing).
    const listening = await waitFor(
      `iperf3 server for ${name} on 127.0.0.1:${port}`,
      async () => {
        if (!server.running) throw new Error(`iperf3 server for ${name} exited`);
        return portOpen(port);
      },
      10_000,
    ).then(
      () => true,
      (err: Error) => {
        this.log(`${cluster}: ${err.message}`);
        return false;
      },
    );
    // The next round starts it again.
    if (!listening) return this.stop(cluster, entry, uid, 'it does not listen');
    const portFile = join(entry.dir, `${ip}.port`);
    writeFileSync(`${portFile}.tmp`, String(port));
    renameSync(`${portFile}.tmp`, portFile);
    this.log(`${cluster}: iperf3 server for ${name} (${ip}) on 127.0.0.1:${port} (pid ${child.pid})`);
  }

  /** Removes the server's port file, so the shim stops finding it; TERM, then KILL. */
  private async stop(cluster: string, entry: ClusterWatch, uid: string, why: string): Promise<void> {
    const server = entry.servers.get(uid);
    if (!server) return;
    entry.servers.delete(uid);
    rmSync(join(entry.dir, `${server.ip}.port`), { force: true });
    this.log(`${cluster}: stopping iperf3 server for ${server.pod} (pid ${server.child.pid}): ${why}`);
    server.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const graceful = await Promise.race([
      server.exited.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 5_000))),
    ]);
    clearTimeout(timer);
    if (!graceful) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    rmSync(join(entry.dir, `${server.ip}.pid`), { force: true });
  }
}
