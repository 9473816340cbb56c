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

/** The levels run for these options, with levels breaking from `breaksAt` labs on, and the limit found. */
async function search(asked: number[], findLimit: boolean, breaksAt: number, printed: string[] = []) {
  const ran: number[] = [];
  const options = { levels: asked, findLimit, limitStep: 5 };
  const { limit } = await concurrencyLevels(options, levels(breaksAt, ran), (line) => printed.push(line));
  return { ran, limit };
}

test('without --find-limit: exactly the levels asked for, past a broken one too, and no limit', async () => {
  assert.deepEqual(await search([1, 10, 20], false, 10), { ran: [1, 10, 20], limit: undefined });
});

test('--find-limit: past the last level by the step until one breaks; the last that held is the limit', async () => {
  const printed: string[] = [];
  assert.deepEqual(await search([1, 2], true, 12, printed), {
    ran: [1, 2, 7, 12],
    limit: { heldLabs: 7, brokeFirst: 'lab 12 failed' },
  });
  assert.match(printed.at(-1)!, /7 labs at once held; past it: lab 12 failed/);
});

test('--find-limit: a level asked for that breaks ends the search there', async () => {
  assert.deepEqual(await search([1, 10, 20], true, 10), {
    ran: [1, 10],
    limit: { heldLabs: 1, brokeFirst: 'lab 10 failed' },
  });
});
