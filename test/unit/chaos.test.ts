// The chaos suite's own parts that need no sandbox: the seeded generator, the made-twice count
// from the gateway's trail, the secrets scanner.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRng } from '../../bench/chaos/prng.js';
import { madeTwice } from '../../bench/chaos/record.js';
import { scanText } from '../../bench/chaos/secrets.js';
import type { TrailEntry } from '../../sandbox/cloud/trail.js';

test('the same seed gives the same choices', () => {
  const draw = (seed: number) => {
    const rng = seededRng(seed);
    return [rng.int(0, 1000), rng.pick(['a', 'b', 'c']), rng.sample([1, 2, 3, 4, 5], 3)];
  };
  assert.deepEqual(draw(42), draw(42));
  assert.notDeepEqual(draw(42), draw(43));
});

test('a create that took effect twice for one name, making two things, is made twice', () => {
  const entry = (status: number, made?: string): TrailEntry => ({
    at: 0,
    service: 'route53',
    operation: 'CreateHostedZone',
    status,
    name: 'netlab.example.com',
    made,
  });
  assert.deepEqual(madeTwice([entry(200, '/hostedzone/A'), entry(400)]), []);
  // The same thing answered twice (an idempotent retry) is one.
  assert.deepEqual(madeTwice([entry(200, '/hostedzone/A'), entry(200, '/hostedzone/A')]), []);
  assert.deepEqual(madeTwice([entry(200, '/hostedzone/A'), entry(200, '/hostedzone/B')]), [
    { service: 'route53', operation: 'CreateHostedZone', name: 'netlab.example.com', times: 2 },
  ]);
});

test('the scanner finds credentials, redacted, and passes the sandbox placeholders', () => {
  const key = ['AKIA', 'IOSFODNN7EXAMPLE'].join('');
  const token = `k8s-aws-v1.${'aHR0cHM6Ly9zdHMuYW1hem9uYXdz'.repeat(2)}`;
  const found = scanText('x', `id ${key} and "Authorization: Bearer ${token}"`);
  assert.deepEqual(found.map((f) => f.kind).sort(), ['AWS access key id', 'EKS bearer token', 'bearer token']);
  assert.ok(found.every((f) => f.redacted.length <= 13 && !f.redacted.includes(key)));
  assert.deepEqual(scanText('x', 'accessKeyId: testing, secretAccessKey: "testing"'), []);
  assert.equal(scanText('x', '-----BEGIN RSA PRIVATE KEY-----').length, 1);
});
