// Workloads for sandbox tests: an nginx Deployment labelled `app=<name>` in `default`, and waits
// on its pods.
import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { eventually } from './sandbox.js';

/** Creates the Deployment, or sets its replicas when it exists. */
export async function deploy(kc: KubeConfig, name: string, replicas: number): Promise<void> {
  const apps = kc.makeApiClient(AppsV1Api);
  const body = {
    metadata: { name, namespace: 'default', labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: 'nginx:alpine' }] } },
    },
  };
  await apps.createNamespacedDeployment({ namespace: 'default', body }).catch(async (err: { code?: number }) => {
    if (err.code !== 409) throw err;
    await apps.replaceNamespacedDeployment({ name, namespace: 'default', body });
  });
}

/** The Deployment's pods in phase Running. */
export async function runningPods(kc: KubeConfig, app: string): Promise<V1Pod[]> {
  const pods = await kc
    .makeApiClient(CoreV1Api)
    .listNamespacedPod({ namespace: 'default', labelSelector: `app=${app}` });
  return pods.items.filter((p) => p.status?.phase === 'Running');
}

/** Waits until exactly `count` of the Deployment's pods are Running. */
export async function awaitRunningPods(
  kc: KubeConfig,
  app: string,
  count: number,
  timeoutMs = 90_000,
): Promise<V1Pod[]> {
  return eventually(
    `${count} ${app} pods Running`,
    async () => {
      const running = await runningPods(kc, app).catch(() => undefined);
      return running?.length === count ? running : undefined;
    },
    timeoutMs,
  );
}
