// How a worker process lives next to others: the SDK runtime with its Prometheus endpoint (on
// NETLAB_METRICS_PORT, or the next free port when another worker on this machine has it), and a
// shutdown that lets running activities finish. docs/worker.md says why these figures.
import { Runtime, type WorkerOptions } from '@temporalio/worker';
import { labMetricBuckets } from '../activities/metrics.js';

/**
 * On SIGTERM or SIGINT (the SDK runtime's shutdown signals) the worker stops polling and gives
 * running activities this long to finish; those still running are then cancelled and fail, so
 * the server retries them on another worker at once rather than after their heartbeat timeout.
 * Past the force time the worker exits even if an activity ignores its cancellation (it then
 * heartbeats out). Both fit in the 30 s `sandbox down`, Kubernetes and `docker compose`
 * (`stop_grace_period: 30s`) give before SIGKILL.
 */
export const shutdownOptions = { shutdownGraceTime: '20s', shutdownForceTime: '25s' } satisfies Partial<WorkerOptions>;

/** Ports tried from NETLAB_METRICS_PORT on, one per worker on the same machine. */
const metricsPortsTried = 16;

/**
 * Installs the SDK runtime with its Prometheus endpoint when NETLAB_METRICS_PORT is set.
 * Returns the endpoint's URL, or undefined when metrics are off.
 */
export function installRuntime(env = process.env): string | undefined {
  // Without metrics the SDK's default runtime serves, with the same shutdown signals.
  if (!env.NETLAB_METRICS_PORT) return undefined;
  const firstPort = Number(env.NETLAB_METRICS_PORT);
  if (!Number.isInteger(firstPort) || firstPort < 1 || firstPort > 65535)
    throw new Error(`NETLAB_METRICS_PORT must be a port number, not ${env.NETLAB_METRICS_PORT}`);
  for (let port = firstPort; port < firstPort + metricsPortsTried; port++) {
    try {
      Runtime.install({
        telemetryOptions: {
          metrics: {
            prometheus: {
              bindAddress: `0.0.0.0:${port}`,
              countersTotalSuffix: true,
              unitSuffix: true,
              useSecondsForDurations: true,
              histogramBucketOverrides: labMetricBuckets,
            },
          },
        },
      });
      return `http://127.0.0.1:${port}/metrics`;
    } catch (err) {
      // The runtime is not installed when its exporter cannot bind: the next port can be tried.
      if (!/address already in use/i.test(String(err))) throw err;
    }
  }
  throw new Error(
    `ports ${firstPort}-${firstPort + metricsPortsTried - 1} (NETLAB_METRICS_PORT and the next ones) are all taken`,
  );
}
