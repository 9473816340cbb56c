// Starts the sandbox's long-running programs detached, each with a pid file and a log in the
// state folder, and stops them by process group so nothing is left behind.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { logDir, runDir } from './config.js';

export interface Daemon {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** The TCP port that answers once the daemon is ready. */
  port?: number;
  /** For a daemon without a port: says when it is ready. */
  ready?: () => Promise<boolean>;
  /** Use a server already listening on the port (e.g. from docker-compose) instead of failing. */
  reuseExternal?: boolean;
}

const pidFile = (name: string): string => join(runDir, `${name}.pid`);
export const logFile = (name: string): string => join(logDir, `${name}.log`);

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function runningPid(name: string): number | undefined {
  if (!existsSync(pidFile(name))) return undefined;
  const pid = Number(readFileSync(pidFile(name), 'utf8'));
  return pid > 0 && isAlive(pid) ? pid : undefined;
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolvePromise(true);
    });
    socket.once('error', () => resolvePromise(false));
  });
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
}

/** Starts the daemon unless it already runs; resolves when its port answers. */
export async function startDaemon(d: Daemon, timeoutMs = 60_000): Promise<'started' | 'running' | 'external'> {
  const ready = d.ready ?? (() => portOpen(d.port!));
  if (runningPid(d.name) !== undefined) {
    // Started by another command a moment ago (two `start-lab`s, each finding no worker): wait
    // for that one rather than start a second, whose pid would replace the first's.
    await waitFor(`${d.name}, already started, to be ready (log: ${logFile(d.name)})`, ready, timeoutMs);
    return 'running';
  }
  if (d.port !== undefined && (await portOpen(d.port))) {
    if (d.reuseExternal) return 'external';
    throw new Error(`port ${d.port} for ${d.name} is taken by another program; stop it or set the port variable`);
  }
  mkdirSync(runDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const out = openSync(logFile(d.name), 'a');
  const child = spawn(d.command, d.args, {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...d.env },
  });
  closeSync(out);
  child.unref();
  writeFileSync(pidFile(d.name), String(child.pid));
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));
  await waitFor(
    `${d.name} to be ready (log: ${logFile(d.name)})`,
    async () => {
      if (exited !== null) throw new Error(`${d.name} exited with ${exited}; see ${logFile(d.name)}`);
      return ready();
    },
    timeoutMs,
  );
  return 'started';
}

/** Stops the daemon's whole process group: TERM, then KILL after a grace period. */
export async function stopDaemon(name: string, graceMs = 10_000): Promise<boolean> {
  const pid = runningPid(name);
  rmSync(pidFile(name), { force: true });
  if (pid === undefined) return false;
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      /* already gone */
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  signal('SIGKILL');
  return true;
}
