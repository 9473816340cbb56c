// The client's Temporal connection, from the same environment the worker reads.
import { Client, Connection } from '@temporalio/client';
import { temporalConnection } from '../worker/config.js';

export async function connectClient(): Promise<{ client: Client; namespace: string; close: () => Promise<void> }> {
  const { connectionOptions, namespace } = temporalConnection();
  const connection = await Connection.connect({
    address: connectionOptions.address,
    tls: connectionOptions.tls,
    apiKey: connectionOptions.apiKey,
    metadata: connectionOptions.metadata,
  });
  return { client: new Client({ connection, namespace }), namespace, close: () => connection.close() };
}
