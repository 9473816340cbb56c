// Worker processes the chaos suite starts and kills: each is what `npm run worker` runs (the
// sandbox target, task queue eks-netlab-sandbox), with its output in .netlab/logs/chaos-worker-<n>.log.
import { taskQueueFor } from '../../lab/targets.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { logDir, projectRoot } from '../../sandbox/config.js';

export interface WorkerProcess {
  n: number;
  child: ChildProcess;
  /** The identity Temporal records for it (the SDK's default: pid@host). */
  pid: number;
}

export class WorkerPool {
  private started = 0;
  readonly alive = new Map<number, WorkerProcess>();
  /** Workers that exited without being killed by the suite (a finding of its own). */
  readonly crashed: { n: number; code: number | null; signal: string | null }[] = [];

  constructor(private readonly client: Client) {}

  start(): WorkerProcess {
    const n = ++this.started;
    mkdirSync(logDir, { recursive: true });
    const out = openSync(join(logDir, `chaos-worker-${n}.log`), 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'worker', 'main.ts')], {
      cwd: projectRoot,
      stdio: ['ignore', out, out],
      env: { ...process.env, NETLAB_TARGET: 'sandbox' },
    });
    closeSync(out);
    const worker = { n, child, pid: child.pid! };
    this.alive.set(n, worker);
    child.once('exit', (code, signal) => {
      if (this.alive.delete(n)) this.crashed.push({ n, code, signal });
    });
    return worker;
  }

  /** SIGKILL: no shutdown, no goodbye to the server, as when a machine dies. */
  kill(worker: WorkerProcess): void {
    this.alive.delete(worker.n);
    worker.child.kill('SIGKILL');
  }

  /** The worker whose identity Temporal recorded (`pid@host`), if the suite started it. */
  byIdentity(identity: string | undefined | null): WorkerProcess | undefined {
    const pid = Number(identity?.split('@')[0]);
    return [...this.alive.values()].find((w) => w.pid === pid);
  }

  /** Resolves once `count` of the suite's workers poll the task queue. */
  async polling(count = this.alive.size): Promise<void> {
    for (;;) {
      const { pollers = [] } = await this.client.workflowService
        .describeTaskQueue({
          namespace: 'default',
          taskQueue: { name: taskQueueFor('sandbox') },
          taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        })
        .catch(() => ({ pollers: [] }));
      const pids = new Set(pollers.map((p) => Number(p.identity?.split('@')[0])));
      if ([...this.alive.values()].filter((w) => pids.has(w.pid)).length >= count) return;
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.alive.values()].map(
        (w) =>
          new Promise<void>((ok) => {
            this.alive.delete(w.n);
            // A worker finishing an activity may take a while to shut down; it is not waited for long.
            const kill = setTimeout(() => w.child.kill('SIGKILL'), 10_000);
            w.child.once('exit', () => {
              clearTimeout(kill);
              ok();
            });
            w.child.kill('SIGTERM');
          }),
      ),
    );
  }
}
