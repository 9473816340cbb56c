// Helm releases on the lab's cluster, with the helm v3 binary the worker runs. Each call gets a
// private temp dir (mode 0700) holding the kubeconfig with its bearer token, the values file and
// helm's own homes, deleted when the call ends, so no token outlives the call and nothing global
// (~/.config/helm, repositories, cache) is read or written.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { Context } from '@temporalio/activity';
import type { Target } from './target.js';

/** The eks-charts repository, where `eks/<chart>` comes from on AWS. */
const eksChartsRepo = 'https://aws.github.io/eks-charts';

export interface HelmRelease {
  name: string;
  namespace: string;
  /** `eks/<chart>` from eks-charts, or a local chart folder. */
  chart: string;
  version?: string;
  values: Record<string, unknown>;
  timeoutSeconds?: number;
  /**
   * false: helm returns once the release is applied, not ready. helm's `--wait` checks every 2 s;
   * a caller that watches for readiness itself notices it sooner.
   */
  wait?: boolean;
}

export interface HelmResult {
  revision: number;
  status: string;
  /** `<name>-<version>` of the chart deployed. */
  chart: string;
  appVersion?: string;
}

/** What `helm ... -o json` prints for a release (the fields used here). */
interface ReleaseJson {
  version: number;
  info: { status: string };
  chart: { metadata: { name: string; version: string; appVersion?: string } };
}

interface HelmSession {
  dir: string;
  kubeconfig: string;
  env: NodeJS.ProcessEnv;
  token?: string;
}

class HelmError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'HelmError';
  }
}

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called outside an activity, e.g. from a test
  }
}

/** Runs `use` with a private helm home and kubeconfig, deleted afterwards whatever happens. */
async function withHelm<T>(kc: KubeConfig, use: (session: HelmSession) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'netlab-helm-'));
  try {
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, kc.exportConfig(), { mode: 0o600 });
    // Only helm's homes and kubeconfig from here: inherited HELM_* or KUBECONFIG would point it elsewhere.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('HELM_') && k !== 'KUBECONFIG'),
    );
    Object.assign(env, {
      HELM_CACHE_HOME: join(dir, 'cache'),
      HELM_CONFIG_HOME: join(dir, 'config'),
      HELM_DATA_HOME: join(dir, 'data'),
      KUBECONFIG: kubeconfig,
    });
    return await use({ dir, kubeconfig, env, token: kc.getCurrentUser()?.token });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Removes the token, and anything shaped like an EKS or bearer token, from helm's output. */
export function redact(text: string, token: string | undefined): string {
  const withoutToken = token ? text.split(token).join('<token>') : text;
  return withoutToken
    .replace(/k8s-aws-v1\.[A-Za-z0-9_\-=]+/g, 'k8s-aws-v1.<redacted>')
    .replace(/(bearer\s+)\S+/gi, '$1<redacted>')
    .trim();
}

/** Runs helm; resolves with stdout, rejects with its (redacted) stderr. Heartbeats and stops with the activity. */
function helm(target: Target, session: HelmSession, args: string[]): Promise<string> {
  const ctx = activityContext();
  return new Promise((resolve, reject) => {
    const child = spawn(target.helmBinary, [...args, '--kubeconfig', session.kubeconfig], {
      env: session.env,
      cwd: session.dir,
      signal: ctx?.cancellationSignal,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // `--wait` can take minutes: heartbeats let the workflow tell a slow helm from a dead worker.
    const ticker = ctx ? setInterval(() => ctx.heartbeat({ helm: args[0] }), 10_000) : undefined;
    child.on('error', (err) => {
      clearInterval(ticker);
      reject(new Error(`helm ${args[0]}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearInterval(ticker);
      if (code === 0) return resolve(stdout);
      const detail = redact(stderr, session.token);
      // helm says only "context deadline exceeded" when --wait gives up.
      const timeout = args.includes('--timeout') ? args[args.indexOf('--timeout') + 1] : undefined;
      const hint = timeout && /deadline exceeded/.test(detail) ? ` (not ready within ${timeout})` : '';
      reject(
        new HelmError(`helm ${args.slice(0, 2).join(' ')} failed (exit ${code ?? signal}): ${detail}${hint}`, detail),
      );
    });
  });
}

const notFound = (err: unknown): boolean => err instanceof HelmError && /release: not found/i.test(err.stderr);

async function status(target: Target, session: HelmSession, name: string, namespace: string) {
  try {
    const out = await helm(target, session, ['status', name, '--namespace', namespace, '--output', 'json']);
    return JSON.parse(out) as ReleaseJson;
  } catch (err) {
    if (notFound(err)) return undefined;
    throw err;
  }
}

const result = (r: ReleaseJson): HelmResult => ({
  revision: r.version,
  status: r.info.status,
  chart: `${r.chart.metadata.name}-${r.chart.metadata.version}`,
  appVersion: r.chart.metadata.appVersion,
});

/**
 * `helm upgrade --install --wait` (without `--wait` when `release.wait` is false): installs the release or upgrades it to the same chart and
 * values, so a retry is harmless. A release left pending by a worker that died mid-operation
 * is first rolled back (or, never installed, removed), since helm refuses to touch it otherwise.
 */
export async function helmUpgradeInstall(target: Target, kc: KubeConfig, release: HelmRelease): Promise<HelmResult> {
  const timeout = `${release.timeoutSeconds ?? 300}s`;
  const ns = ['--namespace', release.namespace];
  return withHelm(kc, async (session) => {
    const previous = await status(target, session, release.name, release.namespace);
    if (previous?.info.status === 'pending-install') {
      await helm(target, session, ['uninstall', release.name, ...ns, '--wait', '--timeout', timeout]);
    } else if (previous && /^pending-/.test(previous.info.status)) {
      await helm(target, session, ['rollback', release.name, ...ns, '--wait', '--timeout', timeout]);
    }
    if (release.chart.startsWith('eks/')) await helm(target, session, ['repo', 'add', 'eks', eksChartsRepo]);
    const valuesFile = join(session.dir, 'values.json');
    // JSON is YAML, so the values reach helm exactly as given, with no --set escaping.
    await writeFile(valuesFile, JSON.stringify(release.values), { mode: 0o600 });
    const out = await helm(target, session, [
      'upgrade',
      release.name,
      release.chart,
      '--install',
      ...ns,
      '--create-namespace',
      '--values',
      valuesFile,
      ...(release.version ? ['--version', release.version] : []),
      ...(release.wait === false ? [] : ['--wait']),
      '--timeout',
      timeout,
      '--output',
      'json',
    ]);
    return result(JSON.parse(out) as ReleaseJson);
  });
}

/** `helm uninstall --wait`: true when the release was there and is now gone, false when there was none. */
export async function helmUninstall(target: Target, kc: KubeConfig, name: string, namespace: string): Promise<boolean> {
  return withHelm(kc, async (session) => {
    try {
      await helm(target, session, ['uninstall', name, '--namespace', namespace, '--wait', '--timeout', '300s']);
      return true;
    } catch (err) {
      if (notFound(err)) return false;
      throw err;
    }
  });
}
