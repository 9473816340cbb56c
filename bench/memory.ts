// Memory, read from /proc: this process's RSS (the worker's), the machine's total and used, and
// the summed RSS of the sandbox's own processes — its daemons (pid files in the state folder) and
// every cluster's control plane (kwokctl's pid files), each with its children. Other sandboxes on
// the machine are not counted.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { kwokWorkdir, runDir } from '../sandbox/config.js';

export interface MemorySample {
  workerRssBytes: number;
  machineTotalBytes: number;
  machineUsedBytes: number;
  /** The sandbox's processes' RSS by program (kube-apiserver, etcd, moto…), summed over clusters. */
  sandboxRssBytes: Record<string, number>;
}

const kib = 1024;

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process ended between listing and reading
  }
}

/** MemAvailable, not MemFree: page cache the kernel gives back on demand is not used memory. */
function machine(): { totalBytes: number; usedBytes: number } {
  const info = readFileSync('/proc/meminfo', 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(info)?.[1] ?? 0) * kib;
  const total = field('MemTotal');
  return { totalBytes: total, usedBytes: total - field('MemAvailable') };
}

const rssBytes = (pid: number): number =>
  Number(/^VmRSS:\s+(\d+) kB/m.exec(readOr(`/proc/${pid}/status`) ?? '')?.[1] ?? 0) * kib;

/** Each process's parent, from /proc/<pid>/stat (the field after the parenthesised name). */
function parents(): Map<number, number> {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readOr(`/proc/${entry}/stat`);
    const ppid = stat && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid) parentOf.set(Number(entry), ppid);
  }
  return parentOf;
}

/** Where this sandbox keeps pid files: its daemons', and each cluster's control plane's (kwokctl's). */
function sandboxPidDirs(): string[] {
  const clusters = join(kwokWorkdir, 'clusters');
  const clusterDirs = existsSync(clusters) ? readdirSync(clusters).map((c) => join(clusters, c, 'pids')) : [];
  return [runDir, ...clusterDirs].filter((d) => existsSync(d));
}

/** The programs with a pid file in these folders, by name: `moto.pid` → moto. */
function programs(pidDirs: string[]): Map<number, string> {
  const roots = new Map<number, string>();
  for (const dir of pidDirs)
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.pid'))) {
      const pid = Number(readOr(join(dir, file))?.trim());
      if (pid > 0) roots.set(pid, basename(file, '.pid'));
    }
  return roots;
}

/** RSS by program, each process counted towards the nearest of itself and its ancestors with a pid file. */
export function programsRssBytes(pidDirs = sandboxPidDirs()): Record<string, number> {
  const roots = programs(pidDirs);
  const parentOf = parents();
  const bytes: Record<string, number> = {};
  for (const pid of parentOf.keys()) {
    let at: number | undefined = pid;
    while (at && !roots.has(at)) at = parentOf.get(at);
    const name = at && roots.get(at);
    if (name) bytes[name] = (bytes[name] ?? 0) + rssBytes(pid);
  }
  return bytes;
}

export const sandboxTotalBytes = (s: MemorySample): number =>
  Object.values(s.sandboxRssBytes).reduce((a, b) => a + b, 0);

export function sampleMemory(): MemorySample {
  const { totalBytes, usedBytes } = machine();
  return {
    workerRssBytes: process.memoryUsage().rss,
    machineTotalBytes: totalBytes,
    machineUsedBytes: usedBytes,
    sandboxRssBytes: programsRssBytes(),
  };
}

/** The largest of each figure over samples taken every `intervalMs` until `stop`. */
export function watchMemory(intervalMs = 2_000): { stop(): MemorySample } {
  let peak = sampleMemory();
  const timer = setInterval(() => {
    const now = sampleMemory();
    peak = {
      workerRssBytes: Math.max(peak.workerRssBytes, now.workerRssBytes),
      machineTotalBytes: now.machineTotalBytes,
      machineUsedBytes: Math.max(peak.machineUsedBytes, now.machineUsedBytes),
      sandboxRssBytes: sandboxTotalBytes(now) > sandboxTotalBytes(peak) ? now.sandboxRssBytes : peak.sandboxRssBytes,
    };
  }, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}
