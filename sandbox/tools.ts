// Installs the sandbox's tools into the version-keyed cache: Go programs from the Go module
// proxy, moto from PyPI into a virtualenv, iperf3 from Debian. Each step shows its progress;
// a cached tool is not built again.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { formatSeconds } from '../lab/duration.js';
import { binDir, cacheDir, projectRoot, versions } from './config.js';

export interface Tool {
  name: string;
  version: string;
  /** What the first install costs on a 2-core machine, so a person knows what to expect. */
  firstInstall: string;
  installed(): boolean;
  install(log: (line: string) => void): Promise<void>;
}

const goBinary = (name: string, version: string): string => join(binDir, `${name}-${version}`);
const kubeLdflags = (v: string): string => {
  const [major, minor] = v.replace(/^v/, '').split('.');
  const pkg = 'k8s.io/component-base/version';
  return `-s -w -X ${pkg}.gitVersion=${v} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}`;
};

export const toolPaths = {
  temporal: goBinary('temporal', versions.temporalCli),
  kwokctl: goBinary('kwokctl', versions.kwok),
  kwok: goBinary('kwok', versions.kwok),
  etcd: goBinary('etcd', versions.etcd),
  kubeApiserver: goBinary('kube-apiserver', versions.kubernetes),
  kubeControllerManager: goBinary('kube-controller-manager', versions.kubernetes),
  kubeScheduler: goBinary('kube-scheduler', versions.kubernetes),
  helm: goBinary('helm', versions.helm),
  externalDns: goBinary('external-dns', versions.externalDns),
  motoServer: join(cacheDir, `moto-${versions.moto}`, 'bin', 'moto_server'),
  iperf3: '/usr/bin/iperf3',
} as const;

/** Runs a command, passing each output line to `log`; rejects with the output's tail. */
export function run(
  cmd: string,
  args: string[],
  log: (line: string) => void,
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env } });
    const tail: string[] = [];
    const onData = (chunk: Buffer): void => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        log(line);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolvePromise()
        : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${tail.join('\n')}`)),
    );
  });
}

/** Builds Go packages into a scratch folder, then moves each binary to its versioned name. */
async function goBuild(
  log: (line: string) => void,
  packages: string[],
  targets: Record<string, string>,
  opts: { cwd?: string; ldflags?: string; install?: boolean },
): Promise<void> {
  const scratch = join(cacheDir, 'build-tmp', String(process.pid));
  mkdirSync(scratch, { recursive: true });
  try {
    const flags = ['-trimpath', '-v', ...(opts.ldflags ? ['-ldflags', opts.ldflags] : [])];
    const args = opts.install
      ? ['install', ...flags, ...packages]
      : ['build', ...flags, '-o', scratch + '/', ...packages];
    await run('go', args, log, {
      cwd: opts.cwd,
      env: { GOBIN: scratch, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' },
    });
    mkdirSync(binDir, { recursive: true });
    for (const [built, target] of Object.entries(targets)) renameSync(join(scratch, built), target);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export const tools: Tool[] = [
  {
    name: 'temporal (CLI and dev server)',
    version: versions.temporalCli,
    firstInstall: 'about 3 min',
    installed: () => existsSync(toolPaths.temporal),
    install: (log) =>
      goBuild(
        log,
        [`github.com/temporalio/cli/cmd/temporal@${versions.temporalCli}`],
        { temporal: toolPaths.temporal },
        {
          install: true,
        },
      ),
  },
  {
    name: 'kwok and kwokctl',
    version: versions.kwok,
    firstInstall: 'about 2 min',
    installed: () => existsSync(toolPaths.kwokctl) && existsSync(toolPaths.kwok),
    install: (log) =>
      goBuild(
        log,
        [`sigs.k8s.io/kwok/cmd/kwokctl@${versions.kwok}`, `sigs.k8s.io/kwok/cmd/kwok@${versions.kwok}`],
        { kwokctl: toolPaths.kwokctl, kwok: toolPaths.kwok },
        { install: true },
      ),
  },
  {
    name: 'etcd',
    version: versions.etcd,
    firstInstall: 'about 2 min',
    installed: () => existsSync(toolPaths.etcd),
    install: (log) =>
      goBuild(log, ['.'], { etcd: toolPaths.etcd }, { cwd: join(projectRoot, 'sandbox', 'build', 'etcd') }),
  },
  {
    name: 'Kubernetes control plane (kube-apiserver, kube-controller-manager, kube-scheduler)',
    version: versions.kubernetes,
    firstInstall: 'about 15 min and 3 GiB of memory',
    installed: () =>
      [toolPaths.kubeApiserver, toolPaths.kubeControllerManager, toolPaths.kubeScheduler].every((p) => existsSync(p)),
    install: (log) =>
      goBuild(
        log,
        ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].map((c) => `k8s.io/kubernetes/cmd/${c}`),
        {
          'kube-apiserver': toolPaths.kubeApiserver,
          'kube-controller-manager': toolPaths.kubeControllerManager,
          'kube-scheduler': toolPaths.kubeScheduler,
        },
        { cwd: join(projectRoot, 'sandbox', 'build', 'kubernetes'), ldflags: kubeLdflags(versions.kubernetes) },
      ),
  },
  {
    name: 'Helm',
    version: versions.helm,
    firstInstall: 'about 4 min',
    installed: () => existsSync(toolPaths.helm),
    install: (log) =>
      goBuild(log, [`helm.sh/helm/v3/cmd/helm@${versions.helm}`], { helm: toolPaths.helm }, { install: true }),
  },
  {
    name: 'ExternalDNS',
    version: versions.externalDns,
    firstInstall: 'about 6 min',
    installed: () => existsSync(toolPaths.externalDns),
    install: (log) =>
      goBuild(
        log,
        [`sigs.k8s.io/external-dns@${versions.externalDns}`],
        { 'external-dns': toolPaths.externalDns },
        { install: true },
      ),
  },
  {
    name: 'moto (AWS API emulator)',
    version: versions.moto,
    firstInstall: 'about 1 min',
    installed: () => existsSync(toolPaths.motoServer),
    install: async (log) => {
      const venv = join(cacheDir, `moto-${versions.moto}`);
      rmSync(venv, { recursive: true, force: true });
      await run('python3', ['-m', 'venv', venv], log);
      await run(join(venv, 'bin', 'pip'), ['install', '--progress-bar', 'off', `moto[server]==${versions.moto}`], log);
    },
  },
  {
    name: 'iperf3 (Debian package)',
    version: 'bookworm',
    firstInstall: 'under 1 min',
    installed: () => existsSync(toolPaths.iperf3),
    install: async (log) => {
      const env = { DEBIAN_FRONTEND: 'noninteractive' };
      await run('apt-get', ['update', '-q'], log, { env });
      await run('apt-get', ['install', '-y', '-q', 'iperf3'], log, { env });
    },
  },
];

/** Installs every missing tool, one after another, printing a line per step and a heartbeat. */
export async function installTools(print: (line: string) => void = console.log): Promise<void> {
  const missing = tools.filter((t) => !t.installed());
  if (missing.length === 0) return;
  print(`eks-netlab: installing ${missing.length} sandbox tool(s) into ${cacheDir} (first time only)`);
  for (const [i, tool] of missing.entries()) {
    const started = Date.now();
    print(`[${i + 1}/${missing.length}] ${tool.name} ${tool.version} (first install: ${tool.firstInstall})`);
    let last = '';
    const ticker = setInterval(() => {
      print(`      … ${formatSeconds(Date.now() - started, 0)}${last ? `: ${last.slice(0, 100)}` : ''}`);
    }, 30_000);
    try {
      await tool.install((line) => (last = line));
    } finally {
      clearInterval(ticker);
    }
    print(`      done in ${formatSeconds(Date.now() - started, 0)}`);
  }
}
