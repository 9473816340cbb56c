import assert from 'node:assert/strict';
import { test } from 'node:test';
import { labIdFromWorkflowId, validateSpec } from '../../lab/spec.js';

const valid = (labId: string): boolean => validateSpec({ labId }).problems.length === 0;

test('a scheduled run gets its schedule id and scheduled time', () => {
  assert.equal(labIdFromWorkflowId('nightly-2026-11-28T03:00:00Z'), 'nightly-1128-0300');
  assert.equal(labIdFromWorkflowId('every-2026-11-28T03:00:10Z'), 'every-1128-030010');
});

test('long or odd schedule ids are cut and cleaned, keeping the time', () => {
  const id = labIdFromWorkflowId('Nightly_EKS.Network--Lab-2026-01-02T23:59:00Z');
  assert.equal(id, 'nightly-eks-n-0102-2359');
  assert.ok(valid(id));
  assert.equal(labIdFromWorkflowId('42-2026-01-02T23:59:00Z'), 'lab-0102-2359');
});

test('other workflow ids become valid lab ids too', () => {
  for (const wf of ['My Lab', 'x', '9', 'a-very-long-workflow-id-that-goes-on-and-on', 'a--b--']) {
    assert.ok(valid(labIdFromWorkflowId(wf)), `${wf} → ${labIdFromWorkflowId(wf)}`);
  }
  assert.equal(labIdFromWorkflowId('My Lab'), 'my-lab');
});
