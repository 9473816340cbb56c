// Which concurrency levels the bench runs: the ones asked for, and with --find-limit more past
// the last until one breaks; the limit is the last level that held.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { concurrencyLevels, type LevelRun } from '../../bench/levels.js';
import { quantiles } from '../../lab/report.js';

/** A stand-in level that breaks from `breaksAt` labs on, recording which levels ran. */
function levels(breaksAt: number, ran: number[]) {
  return async (labs: number): Promise<LevelRun> => {
    ran.push(labs);
    const figures = {
      labs,
      wallMs: 1,
      perLabMs: quantiles([1]),
      slowestToLone: 1,
      failures: labs >= breaksAt ? 1 : 0,
      memoryPeak: { workerRssBytes: 0, machineTotalBytes: 0, machineUsedBytes: 0, sandboxRssBytes: {} },
      broke: labs >= breaksAt ? `lab ${labs} failed` : undefined,
    };
    return { figures, records: [] };
  };
}

test('without --find-limit: exactly the levels asked for, past a broken one too, and no limit', async () => {
  const ran: number[] = [];
  const result = await concurrencyLevels(
    { levels: [1, 10, 20], findLimit: false, limitStep: 5 },
    levels(10, ran),
    () => undefined,
  );
  assert.deepEqual(ran, [1, 10, 20]);
  assert.equal(result.limit, undefined);
});

test('--find-limit: past the last level by the step until one breaks; the last that held is the limit', async () => {
  const ran: number[] = [];
  const printed: string[] = [];
  const result = await concurrencyLevels({ levels: [1, 2], findLimit: true, limitStep: 5 }, levels(12, ran), (l) =>
    printed.push(l),
  );
  assert.deepEqual(ran, [1, 2, 7, 12]);
  assert.deepEqual(result.limit, { heldLabs: 7, brokeFirst: 'lab 12 failed' });
  assert.match(printed.at(-1)!, /7 labs at once held; past it: lab 12 failed/);
});

test('--find-limit: a level asked for that breaks ends the search there', async () => {
  const ran: number[] = [];
  const result = await concurrencyLevels(
    { levels: [1, 10, 20], findLimit: true, limitStep: 5 },
    levels(10, ran),
    () => undefined,
  );
  assert.deepEqual(ran, [1, 10]);
  assert.deepEqual(result.limit, { heldLabs: 1, brokeFirst: 'lab 10 failed' });
});
