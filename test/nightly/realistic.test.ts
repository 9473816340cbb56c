// Nightly-style (`npm run test:nightly`, not part of `npm test`: it takes several minutes): one
// whole lab on the `realistic` latency profile, where every emulated delay has AWS's shape, so
// waits, heartbeats and timeouts are exercised at lengths a fast lab never reaches.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runLab, sandboxSpec } from '../helpers/lab.js';
import { gatewayAdmin } from '../helpers/sandbox.js';

test('a whole lab passes on the realistic profile and leaves nothing', { timeout: 30 * 60_000 }, async () => {
  await gatewayAdmin('PUT', 'profile', { name: 'realistic' });
  try {
    const { report } = await runLab(sandboxSpec());
    assert.equal(report.outcome, 'passed', report.error);
    assert.deepEqual(report.leftovers, []);
    // The realistic profile's delays are real waits: deploy alone takes over a minute.
    const deploy = report.phases.find((p) => p.phase === 'deploy');
    assert.ok((deploy?.durationMs ?? 0) > 60_000, `deploy took ${deploy?.durationMs} ms`);
  } finally {
    await gatewayAdmin('PUT', 'profile', { name: 'fast' });
  }
});
