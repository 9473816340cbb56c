// The CLI's commands without a Temporal: --help and bad flags are answered before anything
// connects, schedule flags become a schedule, validation names flags, `lab watch` exits with
// start-lab's codes, and a command that starts a workflow refuses when no worker polls.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { test, type TestContext } from 'node:test';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { TemporalClient } from '../../activities/temporal.js';
import { parse, runCli, UsageError, type Group } from '../../client/cli.js';
import { labCommands } from '../../client/commands.js';
import { withFlagNames } from '../../client/options.js';
import { scheduleCreate, scheduleOptions, scheduleRequest, type ScheduleRequest } from '../../client/schedule.js';
import type { LabReport } from '../../lab/report.js';
import type { LabOutcome } from '../../lab/signals.js';

/** Every command's words under a group: ['status'], ['schedule', 'create'], ['sweep'] (its own), … */
function commandPaths(group: Group, path: string[] = []): string[][] {
  const own = group.fallback ? [path] : [];
  return [
    ...own,
    ...Object.entries(group.commands).flatMap(([name, entry]) =>
      'commands' in entry ? commandPaths(entry, [...path, name]) : [[...path, name]],
    ),
  ];
}
const leaves = commandPaths(labCommands);

interface Ran {
  code: number;
  out: string;
  err: string;
  connected: number;
}

/** Runs `npm run lab -- <argv>` in this process with what console prints captured. */
async function lab(t: TestContext, argv: string[], temporal?: TemporalClient): Promise<Ran> {
  const out: string[] = [];
  const err: string[] = [];
  const log = t.mock.method(console, 'log', (line: string) => void out.push(line));
  const error = t.mock.method(console, 'error', (line: string) => void err.push(line));
  let connected = 0;
  const connect = async (): Promise<TemporalClient> => {
    connected++;
    if (!temporal) throw new UsageError('no Temporal in this test');
    return temporal;
  };
  try {
    const code = await runCli('lab', labCommands, argv, connect);
    return { code, out: out.join('\n'), err: err.join('\n'), connected };
  } finally {
    log.mock.restore();
    error.mock.restore();
  }
}

test('every command and subcommand answers --help with exit 0, without connecting', async (t) => {
  assert.ok(leaves.length >= 15, `${leaves.length} commands`);
  for (const path of [...leaves, [], ['schedule'], ['sweep', 'schedule']]) {
    const run = await lab(t, [...path, '--help']);
    assert.equal(run.code, 0, `${path.join(' ')}: ${run.err}`);
    assert.equal(run.connected, 0, `${path.join(' ')} --help connected to Temporal`);
    assert.ok(run.out.startsWith(`npm run lab -- ${path.join(' ')}`.trimEnd()), run.out);
  }
});

test('an unknown flag is refused with exit 2 naming it, before anything connects', async (t) => {
  for (const path of leaves) {
    const run = await lab(t, [...path, '--no-such-flag=1', 'lab-a']);
    assert.equal(run.code, 2, path.join(' '));
    assert.match(run.err, /unknown flag --no-such-flag\b/, path.join(' '));
    assert.equal(run.connected, 0);
  }
  const missing = await lab(t, ['schedule', 'create', '--every']);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /--every needs a value/);
  const swallowed = await lab(t, ['sweep', '--region', '--dry-run']);
  assert.equal(swallowed.code, 2);
  assert.match(swallowed.err, /--region needs a value \(REGION\), not --dry-run/);
  assert.equal((await lab(t, ['status'])).code, 2, 'a missing lab id');
  assert.equal((await lab(t, ['sweep', 'now'])).code, 2, 'an unknown subcommand');
});

/** The schedule `schedule create <argv>` asks for. */
function scheduleOf(argv: string[]): ScheduleRequest {
  const input = parse(scheduleCreate, argv);
  if (input === 'help') assert.fail('no --help was given');
  return scheduleRequest(input.flags);
}

test('schedule create: its own flags and the lab flags', () => {
  const nightly = scheduleOf(['--tz', 'Asia/Seoul', '--instance-type', 'm5.large', '--nodes', '2', '--keep']);
  assert.deepEqual(
    { id: nightly.id, cron: nightly.cron, everyMs: nightly.everyMs, timezone: nightly.timezone },
    { id: 'nightly', cron: '0 3 * * *', everyMs: undefined, timezone: 'Asia/Seoul' },
  );
  assert.deepEqual(
    [nightly.spec.labId, nightly.spec.instanceType, nightly.spec.nodes, nightly.spec.keep],
    ['', 'm5.large', 2, true],
  );
  const hourly = scheduleOf(['--id', 'hourly', '--every=1h', '--target', 'aws']);
  assert.equal(hourly.everyMs, 3_600_000);
  assert.equal(hourly.cron, undefined);
  const options = scheduleOptions(hourly);
  assert.deepEqual(options.spec.intervals, [{ every: 3_600_000 }]);
  assert.equal(options.action.type === 'startWorkflow' && options.action.taskQueue, 'eks-netlab-aws');
  // Each run's one line in the Web UI says what it runs and which schedule started it.
  assert.equal(
    options.action.type === 'startWorkflow' && options.action.staticSummary,
    'EKS network lab on aws, ap-northeast-2: 3 × t3.medium, newest standard Kubernetes; phases networking, density, lbController, nlb, ingress, externalDns, iperf3; schedule hourly, every 3600s',
  );

  assert.throws(() => scheduleOf(['--cron', '0 4 * * *', '--every', '1h']), /--cron or --every, not both/);
  assert.throws(() => scheduleOf(['--every', 'soon']), /--every needs a duration/);
  assert.throws(() => scheduleOf(['--id', 'Nightly']), /^[^]*--id: must be lower-case/);
  assert.throws(() => scheduleOf(['--lab-id', 'x']), /unknown flag --lab-id/);
});

test('validation problems name the flag, not the spec field', () => {
  assert.throws(
    () => scheduleOf(['--instance-type', 'T3 Medium', '--ttl', '1d']),
    (err: Error) =>
      /--instance-type: must be an EC2 instance type/.test(err.message) &&
      /--ttl: must be a duration/.test(err.message) &&
      !/instanceType/.test(err.message),
  );
  // As the worker's look-ups word it: the field ahead of each problem, and inside the message.
  assert.equal(
    withFlagNames(
      'invalid lab spec: kubernetesVersion: Kubernetes 1.33 is in EKS extended support: allow it with allowExtendedSupport, or choose one of 1.36; instanceType: t9.huge is not offered in an AWS region',
    ),
    'invalid lab spec: --kubernetes-version: Kubernetes 1.33 is in EKS extended support: allow it with --allow-extended-support, or choose one of 1.36; --instance-type: t9.huge is not offered in an AWS region',
  );
});

/** A Temporal whose one workflow ends with `result`, whose queues have `pollers`, and which records what it is asked to start. */
function fakeTemporal(result: () => Promise<LabOutcome>, pollers: number) {
  const started: string[] = [];
  const handle = {
    workflowId: 'lab-fake',
    result,
    query: () => Promise.reject(new Error('no progress in this test')),
    describe: () => Promise.reject(new Error('no description in this test')),
  };
  const client = {
    workflow: {
      getHandle: () => handle,
      execute: (type: string) => started.push(type) && Promise.reject(new Error('not in this test')),
    },
    workflowService: { describeTaskQueue: async () => ({ pollers: Array.from({ length: pollers }, () => ({})) }) },
    schedule: {
      getHandle: () => ({
        describe: async () => ({ action: { type: 'startWorkflow', taskQueue: 'eks-netlab-aws' } }),
        trigger: async () => void started.push('trigger'),
      }),
    },
  };
  return { temporal: { client: client as unknown as Client, namespace: 'default', close: async () => {} }, started };
}

const outcome = (outcome: LabReport['outcome'], validate: 'passed' | 'failed', error?: string): LabOutcome => ({
  report: {
    labId: 'lab-fake',
    target: 'aws',
    region: 'xx-fake-9',
    startedAt: '2026-11-28T00:00:00Z',
    outcome,
    error,
    phases: [{ phase: 'validate', status: validate }],
  } as LabReport,
});

test("lab watch exits with start-lab's codes, and names the flag a refused lab must fix", async (t) => {
  const watch = async (result: () => Promise<LabOutcome>): Promise<Ran> =>
    lab(t, ['watch', 'lab-fake'], fakeTemporal(result, 1).temporal);
  assert.equal((await watch(async () => outcome('passed', 'passed'))).code, 0);
  assert.equal((await watch(async () => outcome('failed', 'passed'))).code, 1);
  assert.equal((await watch(async () => outcome('teardown-incomplete', 'passed'))).code, 3);
  const refused = await watch(async () =>
    outcome('failed', 'failed', 'invalid lab spec: instanceType: t9.huge is not offered in xx-fake-9'),
  );
  assert.equal(refused.code, 2);
  assert.match(refused.err, /The lab was not started: invalid lab spec: --instance-type: t9\.huge/);
  const terminated = await watch(() => Promise.reject(new Error('Workflow execution terminated')));
  assert.equal(terminated.code, 3);
  assert.match(terminated.err, /sweep/);
  const unknown = await watch(() => Promise.reject(new WorkflowNotFoundError('not found', 'lab-fake', undefined)));
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /no lab lab-fake/);
});

test('sweep and schedule trigger on AWS refuse, starting nothing, when no worker polls', async (t) => {
  const idle = fakeTemporal(() => new Promise(() => undefined), 0);
  const sweep = await lab(t, ['sweep', '--dry-run', '--target', 'aws'], idle.temporal);
  assert.equal(sweep.code, 2);
  assert.match(sweep.err, /No worker polls task queue eks-netlab-aws/);
  const trigger = await lab(t, ['schedule', 'trigger', 'nightly'], idle.temporal);
  assert.equal(trigger.code, 2);
  assert.match(trigger.err, /No worker polls task queue eks-netlab-aws/);
  assert.deepEqual(idle.started, []);

  const polled = fakeTemporal(() => new Promise(() => undefined), 1);
  assert.equal((await lab(t, ['schedule', 'trigger', 'nightly'], polled.temporal)).code, 0);
  assert.deepEqual(polled.started, ['trigger']);
});

/** A TCP listener standing in for Temporal: it only counts who connects. */
async function countingListener(t: TestContext): Promise<{ address: string; connections: () => number }> {
  let count = 0;
  const server = createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  t.after(() => server.close());
  const { port } = server.address() as { port: number };
  return { address: `127.0.0.1:${port}`, connections: () => count };
}

/** A CLI script run as a person runs it, against `address` as Temporal; killed after 30 s. */
function script(file: string, args: string[], address: string): Promise<{ code: number | null; output: string }> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
      env: { ...process.env, TEMPORAL_ADDRESS: address },
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      ok({ code, output });
    });
  });
}

test(
  'as a person types them, --help and a bad flag answer at once and never reach Temporal',
  { timeout: 180_000 },
  async (t) => {
    const temporal = await countingListener(t);
    const [create, sweep, start] = await Promise.all([
      script('client/lab.ts', ['schedule', 'create', '--help'], temporal.address),
      script('client/lab.ts', ['sweep', '--dry-run', '--bogus'], temporal.address),
      script('client/start-lab.ts', ['--help'], temporal.address),
    ]);
    assert.equal(create.code, 0, create.output);
    assert.match(create.output, /--cron/);
    assert.equal(sweep.code, 2, sweep.output);
    assert.match(sweep.output, /--bogus/);
    assert.equal(start.code, 0, start.output);
    assert.match(start.output, /--instance-type TYPE/);
    assert.equal(temporal.connections(), 0);
  },
);
