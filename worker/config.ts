// The worker's configuration, all from the environment: where Temporal is (TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TLS and API key through Temporal's envconfig profiles) and which target
// the activities act on (NETLAB_TARGET=sandbox|aws, AWS credentials from the default chain).
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { awsTarget, sandboxTarget, type Target } from '../activities/target.js';
import { endpoints } from '../sandbox/config.js';

export function temporalConnection(): { connectionOptions: NativeConnectionOptions; namespace: string } {
  const loaded = loadClientConnectConfig();
  return {
    connectionOptions: { ...loaded.connectionOptions, address: loaded.connectionOptions.address ?? endpoints.temporal },
    namespace: loaded.namespace ?? 'default',
  };
}

export function targetFromEnv(env = process.env): Target {
  const kind = env.NETLAB_TARGET ?? 'sandbox';
  if (kind === 'aws') return awsTarget(env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'ap-northeast-2');
  if (kind === 'sandbox') return sandboxTarget();
  throw new Error(`NETLAB_TARGET must be sandbox or aws, not ${kind}`);
}
