// One keep-alive connection pool per Kubernetes client configuration. client-node makes a new
// https.Agent for every request, so every call pays a TCP and TLS handshake and parses the client
// key again; a lab's polls and the sandbox's controllers make several calls a second.
import { Agent } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

export class KeepAliveKubeConfig extends KubeConfig {
  private agent?: Promise<Agent | undefined>;

  override async applySecurityAuthentication(
    context: Parameters<KubeConfig['applySecurityAuthentication']>[0],
  ): Promise<void> {
    await super.applySecurityAuthentication(context);
    this.agent ??= this.keepAliveAgent();
    const agent = await this.agent;
    if (agent) context.setAgent(agent);
  }

  /** The agent client-node would make, kept alive; none for a proxy or plain HTTP (left as they are). */
  private async keepAliveAgent(): Promise<Agent | undefined> {
    const cluster = this.getCurrentCluster();
    if (!cluster?.server.startsWith('https:') || cluster.proxyUrl) return undefined;
    const tls: Parameters<KubeConfig['applyToHTTPSOptions']>[0] & { rejectUnauthorized?: boolean } = {};
    await super.applyToHTTPSOptions(tls);
    return new Agent({
      keepAlive: true,
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      pfx: tls.pfx,
      passphrase: tls.passphrase,
      servername: cluster.tlsServerName,
      ...(cluster.skipTLSVerify ? { rejectUnauthorized: false } : {}),
      ...(tls.rejectUnauthorized !== undefined ? { rejectUnauthorized: tls.rejectUnauthorized } : {}),
    });
  }
}
