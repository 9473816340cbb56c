// Applying and deleting manifests the way `kubectl apply --server-side` and `kubectl delete
// --ignore-not-found` do, so an activity can run again after a retry with the same outcome.
import {
  ApiException,
  KubernetesObjectApi,
  PatchStrategy,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';

export const fieldManager = 'eks-netlab';

/** Server-side applies each object in order; the lab owns these fields, so conflicts are taken over. */
export async function applyObjects(kc: KubeConfig, objects: KubernetesObject[]): Promise<KubernetesObject[]> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  const applied: KubernetesObject[] = [];
  for (const object of objects) {
    applied.push(await client.patch(object, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply));
  }
  return applied;
}

/** Deletes the objects in reverse order (a Deployment before the account it runs as); absent ones are fine. */
export async function deleteObjects(kc: KubeConfig, objects: KubernetesObject[]): Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  for (const object of [...objects].reverse()) {
    try {
      await client.delete(object);
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 404)) throw err;
    }
  }
}
