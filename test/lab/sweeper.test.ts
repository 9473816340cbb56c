// A terminated lab runs no teardown: its resources stay until the sweeper finds and deletes them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ensureIrsaRole, ensureOidcProvider } from '../../activities/iam.js';
import { createZone } from '../../activities/route53.js';
import { progressQuery } from '../../lab/signals.js';
import { validateSpec } from '../../lab/spec.js';
import type { SweeperResult } from '../../workflows/sweeper.js';
import { labActivities, sandboxSpec, startLab } from '../helpers/lab.js';
import { eventually, target } from '../helpers/sandbox.js';

test('the sweeper deletes what a terminated lab left, and only reports it on a dry run', async () => {
  const spec = sandboxSpec({ phases: [] });
  const { labId } = spec;
  const leftovers = () => labActivities.findLeftovers(validateSpec(spec).spec!);
  const lab = await startLab(spec);
  try {
    await eventually(
      'the deploy phase to pass',
      async () => {
        const report = await lab.handle.query(progressQuery);
        const deploy = report.phases.find((p) => p.phase === 'deploy');
        if (deploy?.status === 'failed') throw new Error(`deploy failed: ${deploy.error}`);
        return deploy?.status === 'passed' ? true : undefined;
      },
      150_000,
    );
    await lab.handle.terminate('sweeper test');
    // What later phases would have made, made here to keep the lab short: an IRSA role and a lab-made zone.
    await ensureIrsaRole(target, labId, 'externalDns', await ensureOidcProvider(target, labId));
    await createZone(target, `${labId}.sweep.example.com`, labId);
    const left = await labActivities.labResources(labId);
    for (const kind of ['cloudformation-stack', 'eks-cluster', 'vpc', 'iam-role', 'iam-oidc-provider', 'route53-zone'])
      assert.ok(
        left.some((r) => r.kind === kind),
        `${kind} left by the terminated lab`,
      );

    const sweep = (dryRun: boolean) =>
      lab.client.workflow.execute('sweeper', {
        taskQueue: lab.taskQueue,
        workflowId: `sweeper-${labId}-${dryRun ? 'dry' : 'real'}`,
        // Only this lab: other tests may own tagged resources with no workflow behind them.
        args: [{ dryRun, labIds: [labId] }],
      }) as Promise<SweeperResult>;

    const dry = await sweep(true);
    const found = dry.found.find((f) => f.labId === labId);
    assert.ok(found, 'the dry run finds the lab id');
    assert.equal(found.running, false);
    assert.ok(found.resources.some((r) => r.kind === 'eks-cluster'));
    assert.deepEqual(dry.swept, []);
    assert.ok(found.resources.some((r) => r.kind === 'route53-zone'));
    assert.deepEqual(await labActivities.labResources(labId), left, 'a dry run deletes nothing');

    const real = await sweep(false);
    assert.deepEqual(real.swept.length, 1);
    const [swept] = real.swept;
    assert.equal(swept!.labId, labId);
    assert.equal(swept!.error, undefined);
    for (const r of left)
      assert.ok(
        swept!.deleted.some((d) => d.kind === r.kind && d.id === r.id),
        `${r.kind} ${r.id} reported`,
      );
    assert.deepEqual(await leftovers(), []);
    assert.deepEqual(await labActivities.labResources(labId), []);
  } finally {
    await lab.handle.terminate('sweeper test cleanup').catch(() => undefined);
    await lab.stop();
  }
});
