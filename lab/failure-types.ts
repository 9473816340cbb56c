// The failure types that retrying cannot help: activities throw them non-retryable, and every
// workflow's retry policy lists them, so a retry never only delays the teardown.
export const nonRetryableErrorTypes = [
  'InvalidSpec',
  'AccessDenied',
  'Quota',
  'NotSupported',
  'StackRollback',
  'ClusterFailed',
  'NodegroupFailed',
  'NodegroupDeleteFailed',
  'AddonFailed',
  'NodesNotSpread',
] as const;
export type NonRetryableErrorType = (typeof nonRetryableErrorTypes)[number];
