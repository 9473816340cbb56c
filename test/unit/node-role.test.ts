// The instance metadata service a pod without IRSA gets its node's role from (node-role.ts), as
// the AWS SDKs' instance credential provider reads it: IMDSv2 only, the role's name, then its
// credentials, replaced by a new session before they expire.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InstanceMetadata, type NodeIdentity } from '../../sandbox/cloud/node-role.js';

const identity: NodeIdentity = {
  instanceId: 'i-0123456789abcdef0',
  roleArn: 'arn:aws:iam::123456789012:role/lab-node',
};
const credentialsPath = '/latest/meta-data/iam/security-credentials/';

/** A metadata service whose sessions live `lifetimeMs`; `sessions` counts the sessions it asked for. */
async function metadataService(lifetimeMs: number): Promise<{ imds: InstanceMetadata; sessions: () => number }> {
  let sessions = 0;
  const imds = new InstanceMetadata(
    identity,
    async (asked) => {
      assert.deepEqual(asked, identity);
      sessions++;
      const expiration = new Date(Date.now() + lifetimeMs);
      return { accessKeyId: `ASIA${sessions}`, secretAccessKey: 'secret', sessionToken: 'token', expiration };
    },
    () => undefined,
  );
  await imds.listen();
  return { imds, sessions: () => sessions };
}

const sessionToken = async (imds: InstanceMetadata): Promise<string> =>
  (
    await fetch(`${imds.endpoint}/latest/api/token`, {
      method: 'PUT',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '21600' },
    })
  ).text();
const get = (imds: InstanceMetadata, path: string, token?: string): Promise<Response> =>
  fetch(`${imds.endpoint}${credentialsPath}${path}`, { headers: token ? { 'x-aws-ec2-metadata-token': token } : {} });
const credentials = async (imds: InstanceMetadata, token: string): Promise<Record<string, string>> =>
  (await (await get(imds, 'lab-node', token)).json()) as Record<string, string>;

test("IMDSv2 only; with a token: the role's name, then its credentials in the shape the SDKs read", async () => {
  const { imds, sessions } = await metadataService(3_600_000);
  try {
    assert.equal((await get(imds, '')).status, 401, 'no token');
    assert.equal((await get(imds, 'lab-node', 'not-issued')).status, 401, 'a token it did not issue');
    const token = await sessionToken(imds);
    assert.equal(await (await get(imds, '', token)).text(), 'lab-node');
    assert.equal((await get(imds, 'other-role', token)).status, 404);
    const first = await credentials(imds, token);
    assert.equal(first.Code, 'Success');
    assert.equal(first.Type, 'AWS-HMAC');
    assert.equal(first.AccessKeyId, 'ASIA1');
    assert.equal(first.SecretAccessKey, 'secret');
    assert.equal(first.Token, 'token');
    assert.ok(Date.parse(first.Expiration!) > Date.now() + 3_500_000);
    assert.equal((await credentials(imds, token)).AccessKeyId, 'ASIA1', 'the same session while it has long to live');
    assert.equal(sessions(), 1);
  } finally {
    imds.close();
  }
});

test('credentials about to expire are replaced by a new session', async () => {
  const { imds, sessions } = await metadataService(60_000);
  try {
    const token = await sessionToken(imds);
    assert.equal((await credentials(imds, token)).AccessKeyId, 'ASIA1');
    assert.equal((await credentials(imds, token)).AccessKeyId, 'ASIA2');
    assert.equal(sessions(), 2);
  } finally {
    imds.close();
  }
});
