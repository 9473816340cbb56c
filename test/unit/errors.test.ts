// The error classifier, on the shapes AWS SDK v3, Kubernetes and Node errors take: throttling and
// server errors are retried (EC2's RequestLimitExceeded among them, though it reads like a quota),
// access denied and quotas end the activity at once, and only the service's own "does not exist"
// counts as missing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CloudFormationServiceException } from '@aws-sdk/client-cloudformation';
import { EC2ServiceException } from '@aws-sdk/client-ec2';
import {
  AccessDeniedException,
  InvalidParameterException,
  ResourceLimitExceededException,
  ResourceNotFoundException,
  ServiceUnavailableException,
  ThrottlingException,
} from '@aws-sdk/client-eks';
import { TooManyLoadBalancersException } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LimitExceededException, NoSuchEntityException } from '@aws-sdk/client-iam';
import { NoSuchHostedZone, PriorRequestNotComplete, TooManyHostedZones } from '@aws-sdk/client-route-53';
import { ApiException } from '@kubernetes/client-node';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { classify, isNotFound, isTransient, orMissing } from '../../activities/errors.js';
import { nonRetryableErrorTypes } from '../../lab/failure-types.js';

const status = (httpStatusCode: number) => ({ message: 'from the service', $metadata: { httpStatusCode } });
/** EC2 (query protocol) errors are the service exception, named by their code. */
const ec2 = (name: string, httpStatusCode: number): EC2ServiceException =>
  new EC2ServiceException({ name, $fault: 'client', ...status(httpStatusCode) });
const kube = (code: number): ApiException<string> => new ApiException(code, `HTTP-Code: ${code}`, '{}', {});
const nodeError = (code: string, message: string): Error => Object.assign(new Error(message), { code });

/** What classify throws for the error. */
function classified(err: unknown): ApplicationFailure {
  try {
    classify(err, 'describe cluster');
  } catch (thrown) {
    assert.ok(thrown instanceof ApplicationFailure, `${String(thrown)} is an ApplicationFailure`);
    return thrown;
  }
}

test('throttling is transient and retried: EC2 RequestLimitExceeded, Route53 PriorRequestNotComplete, 429s', () => {
  for (const err of [
    new ThrottlingException(status(400)),
    ec2('RequestLimitExceeded', 503),
    new PriorRequestNotComplete(status(400)),
    kube(429),
    ApplicationFailure.retryable('k8s 429', 'TooManyRequests'),
  ]) {
    assert.equal(isTransient(err), true, `${err.name} is transient`);
    assert.equal(classified(err).nonRetryable, false, `${err.name} is retried`);
  }
  const failure = classified(ec2('RequestLimitExceeded', 503));
  assert.equal(failure.type, 'RequestLimitExceeded');
  assert.match(failure.message, /^describe cluster: RequestLimitExceeded: from the service$/);
});

test('server errors and dropped connections are transient and retried', () => {
  for (const err of [
    new ServiceUnavailableException(status(503)),
    ec2('InternalError', 500),
    kube(502),
    nodeError('ECONNRESET', 'read ECONNRESET'),
    Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
  ]) {
    assert.equal(isTransient(err), true, `${err.message} is transient`);
    assert.equal(classified(err).nonRetryable, false, `${err.message} is retried`);
  }
});

test('access denied is final, whichever service says it', () => {
  for (const err of [
    new AccessDeniedException(status(403)),
    ec2('UnauthorizedOperation', 403),
    ec2('AuthFailure', 401),
    kube(403),
  ]) {
    assert.equal(isTransient(err), false);
    const failure = classified(err);
    assert.equal(failure.nonRetryable, true, `${err.name} is not retried`);
    assert.equal(failure.type, 'AccessDenied');
  }
});

test('quotas are final: IAM, ELB, Route53 and EKS limits, EC2 capacity', () => {
  for (const err of [
    new LimitExceededException(status(409)),
    new TooManyLoadBalancersException(status(400)),
    new TooManyHostedZones(status(400)),
    new ResourceLimitExceededException(status(400)),
    ec2('InsufficientInstanceCapacity', 500),
  ]) {
    assert.equal(isTransient(err), false);
    const failure = classified(err);
    assert.equal(failure.nonRetryable, true, `${err.name} is not retried`);
    assert.equal(failure.type, 'Quota');
  }
});

test('other client errors are retried by Temporal, but not ridden out by a wait', () => {
  const err = new InvalidParameterException(status(400));
  assert.equal(isTransient(err), false);
  const failure = classified(err);
  assert.equal(failure.nonRetryable, false);
  assert.equal(failure.type, 'InvalidParameterException');
});

test('typed failures and cancellations pass through unchanged', () => {
  const rollback = ApplicationFailure.nonRetryable('stack ROLLBACK_COMPLETE', 'StackRollback');
  const cancelled = new CancelledFailure('activity cancelled');
  assert.throws(
    () => classify(rollback, 'create stack'),
    (thrown) => thrown === rollback,
  );
  assert.throws(
    () => classify(cancelled, 'create stack'),
    (thrown) => thrown === cancelled,
  );
  assert.equal(isTransient(rollback), false);
  assert.equal(isTransient(cancelled), false);
});

test('the failure types classify gives up on are in the workflows’ non-retryable list', () => {
  const types = [new AccessDeniedException(status(403)), new LimitExceededException(status(409))].map(
    (err) => classified(err).type,
  );
  for (const type of types) assert.ok((nonRetryableErrorTypes as readonly string[]).includes(type!), type!);
});

test('not found is the service saying so, never a host that does not resolve', async () => {
  const missing = [
    new ResourceNotFoundException(status(404)),
    new NoSuchEntityException(status(404)),
    new NoSuchHostedZone(status(404)),
    ec2('InvalidVpcID.NotFound', 400),
    new CloudFormationServiceException({
      name: 'ValidationError',
      $fault: 'client',
      message: 'Stack with id lab-x-network does not exist',
      $metadata: { httpStatusCode: 400 },
    }),
    kube(404),
  ];
  for (const err of missing) assert.equal(isNotFound(err), true, `${err.name}: ${err.message} is not found`);
  const present = [
    nodeError('ENOTFOUND', 'getaddrinfo ENOTFOUND eks.ap-northeast-2.amazonaws.com'),
    new AccessDeniedException(status(403)),
    new ThrottlingException(status(400)),
  ];
  for (const err of present) assert.equal(isNotFound(err), false, `${err.message} is not "not found"`);

  assert.equal(await orMissing(Promise.reject(new ResourceNotFoundException(status(404)))), undefined);
  assert.equal(await orMissing(Promise.resolve('cluster')), 'cluster');
  await assert.rejects(orMissing(Promise.reject(new ThrottlingException(status(400)))), ThrottlingException);
});
