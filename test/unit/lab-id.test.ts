import assert from 'node:assert/strict';
import { test } from 'node:test';
import { labIdFromWorkflowId, validateSpec } from '../../lab/spec.js';

const valid = (labId: string): boolean => validateSpec({ labId }).problems.length === 0;

test('a scheduled run gets its schedule id and scheduled time', () => {
  assert.equal(labIdFromWorkflowId('nightly-2026-11-28T03:00:00Z'), 'nightly-1128-0300');
  assert.equal(labIdFromWorkflowId('every-2026-11-28T03:00:10Z'), 'every-1128-030010');
});

test('long or odd schedule ids are cut and cleaned, keeping the time, with a digest of the original', () => {
  const id = labIdFromWorkflowId('Nightly_EKS.Network--Lab-2026-01-02T23:59:00Z');
  assert.match(id, /^nightly-[a-z0-9]{4}-0102-2359$/);
  assert.ok(valid(id));
  assert.match(labIdFromWorkflowId('42-2026-01-02T23:59:00Z'), /^lab-[a-z0-9]{4}-0102-2359$/);
});

test('two schedules whose ids share a prefix never get the same lab id', () => {
  const at = '-2026-01-02T23:59:00Z';
  const ids = ['team-a-network-lab', 'team-a-network-lab-2', 'team-a-network-lab-3', 'Team-A-Network-Lab'].map((s) =>
    labIdFromWorkflowId(s + at),
  );
  assert.equal(new Set(ids).size, ids.length, ids.join(' '));
  for (const id of ids) assert.ok(valid(id), id);
});

test('other workflow ids become valid lab ids too, and stay the same on every call (workflow code replays)', () => {
  for (const wf of ['My Lab', 'x', '9', 'a-very-long-workflow-id-that-goes-on-and-on', 'a--b--', 'lab-a-']) {
    assert.ok(valid(labIdFromWorkflowId(wf)), `${wf} → ${labIdFromWorkflowId(wf)}`);
    assert.equal(labIdFromWorkflowId(wf), labIdFromWorkflowId(wf));
  }
  assert.equal(labIdFromWorkflowId('my-lab'), 'my-lab');
});
