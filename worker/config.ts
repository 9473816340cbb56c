// Which target the worker's activities act on, from the environment: NETLAB_TARGET=sandbox|aws,
// with AWS credentials from the default chain. (Where Temporal is: activities/temporal.ts.)
import { awsTarget, sandboxTarget, type Target } from '../activities/target.js';

export function targetFromEnv(env = process.env): Target {
  const kind = env.NETLAB_TARGET ?? 'sandbox';
  if (kind === 'aws') return awsTarget(env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'ap-northeast-2');
  if (kind === 'sandbox') return sandboxTarget();
  throw new Error(`NETLAB_TARGET must be sandbox or aws, not ${kind}`);
}
