// bad-input: malformed specs through the start-lab CLI (flags) and the lab CLI (signal
// arguments): each exits 2 with a message naming the flag, and nothing is made. A held lab
// that was sent malformed signals still tears down when released.
import { taskQueueFor } from '../../../lab/targets.js';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { extendTtlSignal, progressQuery, releaseSignal } from '../../../lab/signals.js';
import { projectRoot } from '../../../sandbox/config.js';
import { batch, chaosSpec, finishLab, passes, startLab, waitUntil, type ChaosContext } from '../labs.js';
import type { LabRecord } from '../record.js';
import type { Scenario } from './types.js';

const digits400 = '9'.repeat(400);

/** [flag, value]: decided by the spec's schema, so start-lab's `--plan` run shows the answer. */
const schemaCases: [string, string][] = [
  ['--nodes', '0x10'],
  ['--nodes', '1e1'],
  ['--nodes', '0b11'],
  ['--nodes', '0o7'],
  ['--nodes', '0'],
  ['--nodes', '-1'],
  ['--nodes', '1.5'],
  ['--nodes', '3abc'],
  ['--nodes', digits400],
  ['--replicas', '0x10'],
  ['--replicas', '1e1'],
  ['--replicas', '0b11'],
  ['--replicas', 'Infinity'],
  ['--replicas', ''],
  ['--ttl', `${digits400}h`],
  ['--ttl', `${digits400}s`],
  ['--ttl', '0s'],
  ['--ttl', '1d'],
  ['--ttl', '-5m'],
  ['--ttl', '99999h'],
  ['--lab-id', 'lab-'],
  ['--lab-id', 'lab--'],
  ['--lab-id', 'Lab-1'],
  ['--lab-id', 'lab_1'],
  ['--lab-id', 'a'.repeat(40)],
  ['--lab-id', 'ab'],
  ['--domain', 'example'],
  ['--domain', '-bad.example.com'],
  ['--domain', 'bad-.example.com'],
  ['--domain', 'a..example.com'],
  ['--domain', `${'x'.repeat(64)}.example.com`],
  ['--region', 'mars-1'],
  ['--region', 'us-east'],
  ['--region', 'US-EAST-1'],
  ['--kubernetes-version', '1.2'],
  ['--kubernetes-version', 'latest'],
  ['--kubernetes-version', '2.0'],
  ['--phases', 'nlb'],
  ['--phases', 'density,,nlb'],
  ['--phases', 'deploy'],
  ['--phases', 'DENSITY'],
  ['--instance-type', 'T3.MEDIUM'],
  ['--target', 'gcp'],
  ['--profile', 'slow'],
  ['--report-dir', ''],
];

/**
 * Decided by AWS look-ups (EKS versions, regions, zones, instance types) or on the worker's machine
 * (where it writes reports): the lab must refuse at validation.
 */
const lookupCases: [string, string][] = [
  ['--kubernetes-version', '1.24'],
  ['--region', 'xx-fake-9'],
  ['--instance-type', 't9.huge'],
  ['--report-dir', '/etc/hostname'],
  ['--report-dir', '/proc/version/reports'],
];

/** Malformed arguments of `npm run lab -- extend-ttl <lab> <duration>`. */
const signalCases = [`${digits400}h`, `${digits400}s`, '0s', '-5m', '99999h', 'soon'];

/** A value as the table shows it: long ones cut, with their length. */
const shown = (v: string): string => (v.length > 24 ? `${v.slice(0, 12)}…(${v.length})` : JSON.stringify(v));

interface Run {
  code: number | null;
  output: string;
  timedOut: boolean;
}

function cli(script: string, args: string[], timeoutMs: number): Promise<Run> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'client', script), ...args], {
      cwd: projectRoot,
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      ok({ code, output, timedOut: signal === 'SIGKILL' });
    });
  });
}

/** A refusal: exit 2, and the message names the flag (the flag's name without dashes will do for signals). */
const refused = (run: Run, names: string): boolean => run.code === 2 && run.output.includes(names);

function caseRecord(
  label: string,
  expected: string,
  run: Run,
  ok: boolean,
  started: number,
  names?: string,
): LabRecord {
  const said = run.output
    .split('\n')
    .find((l) => (names ? l.includes(names) : /invalid|must|give|duration/i.test(l)))
    ?.trim()
    .slice(0, 160);
  return {
    labId: label,
    phases: [],
    expected,
    outcome: run.timedOut ? 'accepted: the lab started' : `exit ${run.code}${said ? `: ${said}` : ''}`,
    asExpected: ok,
    faults: [{ kind: 'malformed input', at: started }],
    wallMs: Date.now() - started,
  };
}

async function flagCases(ctx: ChaosContext, cases: [string, string][], plan: boolean): Promise<LabRecord[]> {
  // Two CLIs at a time: each is a Node process that starts in a few seconds.
  const records: LabRecord[] = [];
  for (let i = 0; i < cases.length; i += 2)
    records.push(...(await Promise.all(cases.slice(i, i + 2).map((c, j) => flagCase(ctx, c, i + j, plan)))));
  return records;
}

async function flagCase(
  ctx: ChaosContext,
  [flag, value]: [string, string],
  i: number,
  plan: boolean,
): Promise<LabRecord> {
  const started = Date.now();
  const labId = flag === '--lab-id' ? value : `cbi-${Date.now().toString(36).slice(-6)}-${i}`;
  // `--flag=value`: a value starting with '-' is judged as a value, not taken for another flag.
  const args = [...(flag === '--lab-id' ? [] : ['--lab-id', labId]), `${flag}=${value}`, ...(plan ? ['--plan'] : [])];
  // An input that is wrongly accepted starts a lab (without --plan): cancel it, so it tears down.
  // With --plan nothing starts, so the wait only bounds a CLI that hangs: on a loaded 2-core
  // machine (npm test beside other work) starting one takes over a minute.
  const run = await cli('start-lab.ts', args, plan ? 5 * 60_000 : 90_000);
  if (!plan && run.code !== 2) {
    ctx.workflowIds.push(labId);
    const handle = ctx.client.workflow.getHandle(labId);
    await handle.cancel().catch(() => undefined);
    await handle.result().catch(() => undefined);
  }
  return caseRecord(`${flag} ${shown(value)}`, `exit 2 naming ${flag}`, run, refused(run, flag), started, flag);
}

async function signalArguments(ctx: ChaosContext): Promise<LabRecord[]> {
  const spec = chaosSpec('bs', [], { keep: true });
  const started = Date.now();
  const handle = await startLab(ctx, spec);
  await waitUntil(handle, (s) => s.phase === 'report' || s.phase === 'teardown');
  const records: LabRecord[] = [];
  for (const value of signalCases) {
    const t = Date.now();
    const run = await cli('lab.ts', ['extend-ttl', spec.labId!, value], 60_000);
    records.push(
      caseRecord(
        `extend-ttl ${shown(value)}`,
        'exit 2 naming the duration',
        run,
        run.code === 2 && /duration/i.test(run.output),
        t,
      ),
    );
  }
  // The same malformed durations sent straight to the workflow (another client, no CLI checks):
  // the lab must ignore them and keep a finite TTL.
  for (const value of [`${digits400}h`, '99999h']) await handle.signal(extendTtlSignal, value);
  const ttl = await handle.query(progressQuery).then(
    (p) => p.ttlDeadline ?? 'none',
    (err: Error) => `query failed: ${err.message}`,
  );
  const ttlOk = Number.isFinite(Date.parse(ttl)) && Date.parse(ttl) - Date.now() <= 7 * 24 * 3_600_000 + 2 * 3_600_000;
  ctx.log(`    TTL after malformed extendTtl signals: ${ttl}`);
  await handle.signal(releaseSignal);
  const lab = await finishLab(
    handle,
    spec,
    started,
    { what: 'passed, TTL capped', ok: (r) => passes.ok(r) && ttlOk },
    [{ kind: 'malformed extendTtl signals', at: Date.now(), detail: `TTL then: ${ttl.slice(0, 80)}` }],
    4 * 60_000,
  );
  return [...records, lab];
}

export const badInput: Scenario = {
  name: 'bad-input',
  about: 'malformed flags and signal arguments: each exits 2 naming the flag; nothing made',
  async run(ctx) {
    const batches = [
      await batch(ctx, 'bad-input', async () => [
        ...(await flagCases(ctx, ctx.short ? ctx.rng.sample(schemaCases, 6) : schemaCases, true)),
        ...(ctx.short ? [] : await flagCases(ctx, lookupCases, false)),
      ]),
    ];
    if (ctx.short) return batches;
    const signals = await batch(ctx, 'bad-input', () => signalArguments(ctx));
    batches.push(signals);
    // A lab wedged by a signal never tears down: after counting what it left, the sweeper cleans up.
    if (signals.left.length)
      await ctx.client.workflow
        .execute('sweeper', {
          taskQueue: taskQueueFor('sandbox'),
          workflowId: `sweeper-bad-input-${Date.now()}`,
          args: [{}],
        })
        .catch((err: Error) => ctx.log(`    sweeper: ${err.message}`));
    return batches;
  },
};
