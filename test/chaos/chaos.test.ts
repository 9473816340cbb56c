// The chaos suite's short version (a few faults per scenario, small phase sets): every lab ends
// as expected, nothing is left in moto or any API server, nothing is made twice, no secret is
// written. `npm run chaos` is the full run.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { stateDir } from '../../sandbox/config.js';
import { runChaos, scenarioNames, type ChaosResult } from '../../bench/chaos/suite.js';

let result: ChaosResult;
before(async () => {
  result = await runChaos({ short: true, seed: 7, out: join(stateDir, 'chaos', 'chaos-short.json') });
});

for (const name of scenarioNames.filter((n) => n !== 'secrets'))
  test(`chaos ${name}: outcomes as expected, nothing left, nothing made twice`, () => {
    const batches = result.batches.filter((b) => b.scenario === name);
    assert.ok(batches.length > 0, `${name} ran`);
    assert.deepEqual(
      batches.flatMap((b) => b.notes.filter((n) => n.startsWith('broke'))),
      [],
    );
    const labs = batches.flatMap((b) => b.labs);
    assert.ok(labs.flatMap((l) => l.faults).length > 0, 'faults were thrown');
    assert.deepEqual(
      labs.filter((l) => !l.asExpected).map((l) => `${l.labId}: ${l.outcome}, expected ${l.expected}`),
      [],
    );
    assert.deepEqual(
      batches.flatMap((b) => b.left),
      [],
    );
    assert.deepEqual(
      batches.flatMap((b) => b.madeTwice),
      [],
    );
  });

test('chaos: nothing new anywhere in moto (every region) or any API server after the whole suite', () => {
  assert.deepEqual(result.leftAnywhere, []);
});

test('chaos secrets: no credential in any history, log or report', () => {
  assert.ok(result.secrets.sources > 0, 'something was scanned');
  assert.deepEqual(result.secrets.findings, []);
});
