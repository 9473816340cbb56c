// Kubernetes watches as wake-ups for waits (`waitFor`'s `changes`): the wait checks again as soon
// as anything it looks at changes, instead of at its next poll. The wait keeps polling, so a
// watch that drops, is refused or never opens costs only speed; a dropped watch is opened again
// after a second, and opening it checks again (a change missed while it was down is seen then).
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import type { Changes } from './poll.js';

const reopenAfterMs = 1_000;

/**
 * Changes to the objects under each API path (`/api/v1/nodes`, `/apis/apps/v1/namespaces/x/deployments`),
 * only those with the labels when `labelSelector` is given.
 */
export function kubeChanges(kc: KubeConfig, paths: string | string[], labelSelector?: string): Changes {
  return (changed) => {
    let stopped = false;
    const aborts = new Set<AbortController>();
    const open = async (path: string): Promise<void> => {
      const reopen = (): void => {
        if (!stopped) setTimeout(() => void open(path), reopenAfterMs);
      };
      try {
        const abort = await new Watch(kc).watch(path, labelSelector ? { labelSelector } : {}, () => changed(), reopen);
        if (stopped) abort.abort();
        else aborts.add(abort);
      } catch {
        reopen();
      }
    };
    for (const path of [paths].flat()) void open(path);
    return () => {
      stopped = true;
      for (const abort of aborts) abort.abort();
    };
  };
}
