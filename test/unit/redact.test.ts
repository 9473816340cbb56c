// What helm's error output may carry into a lab report (activities/helm.ts): never the session's
// token, nor anything shaped like an EKS token or a bearer credential.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redact } from '../../activities/helm.js';

// An EKS token is `k8s-aws-v1.` and a presigned STS URL in unpadded base64url.
const eksToken = `k8s-aws-v1.${Buffer.from(
  'https://sts.ap-northeast-2.amazonaws.com/?Action=GetCallerIdentity&X-Amz-Signature=0f1e2d',
).toString('base64url')}`;

test('the session token is replaced wherever it appears', () => {
  const token = 'sandbox-token-3f9c';
  const stderr = `Error: Get "https://127.0.0.1:6443/api?token=${token}": token ${token} rejected\n`;
  assert.equal(redact(stderr, token), 'Error: Get "https://127.0.0.1:6443/api?token=<token>": token <token> rejected');
});

test('an EKS token is redacted even when it is not the session token', () => {
  const out = redact(`Error: Unauthorized (user from ${eksToken}, expired)`, undefined);
  assert.equal(out, 'Error: Unauthorized (user from k8s-aws-v1.<redacted>, expired)');
  assert.ok(!out.includes(eksToken.slice(11)), out);
});

test('a bearer credential is redacted, however the header is spelled', () => {
  assert.equal(
    redact('> Authorization: Bearer eyJhbGciOi.payload.sig\n> authorization: bearer abc123', 'other'),
    '> Authorization: Bearer <redacted>\n> authorization: bearer <redacted>',
  );
});

test('output without a credential is kept as it was, trimmed', () => {
  const stderr = '\nError: INSTALLATION FAILED: cannot re-use a name that is still in use\n';
  assert.equal(redact(stderr, 'k8s-aws-v1.abc'), stderr.trim());
});
