import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maxPodsPerNode } from '../../lab/capacity.js';
import { nameProblems } from '../../lab/names.js';
import { parseDuration, phasesToRun, validateSpec } from '../../lab/spec.js';

test('max pods per node follows the VPC CNI formula (t3.medium 17, m5.large 29)', () => {
  assert.equal(maxPodsPerNode(3, 6), 17);
  assert.equal(maxPodsPerNode(3, 10), 29);
});

test('a valid spec gets the write-up defaults', () => {
  const { spec, problems } = validateSpec({ labId: 'demo-1' });
  assert.deepEqual(problems, []);
  assert.equal(spec?.instanceType, 't3.medium');
  assert.equal(spec?.nodes, 3);
  assert.equal(spec?.replicas, 50);
  assert.deepEqual(spec?.subnetCidrs, ['192.168.1.0/24', '192.168.2.0/24', '192.168.3.0/24']);
});

test('every problem is listed with its field', () => {
  const { problems } = validateSpec({
    labId: 'Bad_Id',
    nodes: 0,
    vpcCidr: '10.0.0.0/16',
    ttl: 'soon',
    phases: ['nlb'],
  });
  const fields = problems.map((p) => p.field).sort();
  assert.deepEqual(fields, ['labId', 'nodes', 'phases', 'subnetCidrs', 'ttl']);
  assert.match(problems.find((p) => p.field === 'phases')!.message, /nlb needs lbController/);
});

test('durations and phase selection', () => {
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('later'), undefined);
  const { spec } = validateSpec({ labId: 'demo-2', phases: ['density'] });
  assert.deepEqual(phasesToRun(spec!), ['validate', 'deploy', 'nodes', 'density', 'report', 'teardown', 'leakCheck']);
});

test('numbers are whole and in range, and the CLI passes only decimal digits as numbers', () => {
  for (const nodes of [Number.NaN, 2.5, 0, 21, Infinity]) {
    const { problems } = validateSpec({ labId: 'demo-3', nodes });
    assert.deepEqual(
      problems.map((p) => p.field),
      ['nodes'],
      `nodes ${nodes}`,
    );
  }
  assert.match(validateSpec({ labId: 'demo-3', replicas: Number.NaN }).problems[0]!.message, /decimal digits/);
});

test('durations over 7 days, or too long to be numbers, are refused rather than overflowing a timer', () => {
  assert.equal(parseDuration('168h'), 604_800_000);
  assert.equal(parseDuration('169h'), undefined);
  assert.equal(parseDuration(`${'9'.repeat(400)}h`), undefined);
  assert.equal(parseDuration(`${'9'.repeat(400)}s`), undefined);
  assert.equal(parseDuration('0s'), undefined);
  const { problems } = validateSpec({ labId: 'demo-4', ttl: '8000h' });
  assert.deepEqual(
    problems.map((p) => p.field),
    ['ttl'],
  );
  assert.match(problems[0]!.message, /168h \(7 days\)/);
});

test('a lab id must make valid names everywhere: no trailing dash (a Kubernetes label value must end alphanumeric)', () => {
  assert.deepEqual(
    validateSpec({ labId: 'lab-a-' }).problems.map((p) => p.field),
    ['labId'],
  );
  assert.deepEqual(validateSpec({ labId: 'lab-a-1' }).problems, []);
});

test('every derived name is checked against its AWS or Kubernetes rule', () => {
  assert.deepEqual(nameProblems('lab-0123-4567-abc'), []);
  const long = `a${'b'.repeat(70)}`;
  const problems = nameProblems(long);
  assert.ok(
    problems.some((p) => /IAM role name "a?b+-lbController"/.test(p)),
    problems.join('\n'),
  );
  assert.ok(problems.some((p) => /EKS node group/.test(p)));
  assert.ok(problems.some((p) => /Kubernetes label value/.test(p)));
  assert.ok(!problems.some((p) => /CloudFormation stack/.test(p)));
});

test('a domain is refused unless Route53 takes it: no label starting or ending with a hyphen, none over 63', () => {
  for (const domain of ['-bad.example.com', 'bad-.example.com', `${'x'.repeat(64)}.example.com`, 'a..example.com'])
    assert.deepEqual(
      validateSpec({ labId: 'lab-a-1', domain }).problems.map((p) => p.field),
      ['domain'],
      domain,
    );
  for (const domain of ['lab.example.com', 'a-b.example.com', `${'x'.repeat(63)}.example.com`])
    assert.deepEqual(validateSpec({ labId: 'lab-a-1', domain }).problems, [], domain);
});

test('an empty report folder is refused', () => {
  assert.deepEqual(
    validateSpec({ labId: 'lab-a-1', reportDir: '' }).problems.map((p) => p.field),
    ['reportDir'],
  );
});
