// Temporal as an outside system: where it is (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS and API
// key through Temporal's envconfig profiles; a local server, such as the sandbox's, by default)
// and a client for it — used by the worker, the CLI, and the sweeper's look-up of running labs.
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { localTemporalAddress } from '../lab/local.js';

export function temporalConnection(): { connectionOptions: NativeConnectionOptions; namespace: string } {
  const loaded = loadClientConnectConfig();
  return {
    connectionOptions: {
      ...loaded.connectionOptions,
      address: loaded.connectionOptions.address ?? localTemporalAddress,
    },
    namespace: loaded.namespace ?? 'default',
  };
}

export interface TemporalClient {
  client: Client;
  namespace: string;
  close: () => Promise<void>;
}

export async function connectClient(): Promise<TemporalClient> {
  const { connectionOptions, namespace } = temporalConnection();
  const { address, tls, apiKey, metadata } = connectionOptions;
  const connection = await Connection.connect({ address, tls, apiKey, metadata });
  return { client: new Client({ connection, namespace }), namespace, close: () => connection.close() };
}
