// Probes from outside the cluster: HTTP requests through a load balancer, counted per pod. Each
// request is a connection of its own (no keep-alive), as separate clients are: a load balancer
// spreads connections, not requests, so reused connections would all reach one pod.
import { request } from 'node:http';
import { lookupThrough } from './dns.js';
import { heartbeat, waitFor } from './poll.js';
import type { Target } from './target.js';

export interface HttpAnswer {
  status: number;
  /** The pod that answered, from the echo server's reply. */
  pod?: string;
  body: string;
}

const isSuccess = (status: number): boolean => status >= 200 && status < 300;

export function httpGet(target: Target, hostname: string, path = '/'): Promise<HttpAnswer> {
  const url = new URL(path, target.loadBalancerHttp(hostname));
  return new Promise((resolvePromise, reject) => {
    const req = request(
      url,
      { lookup: lookupThrough(target), timeout: 5_000, agent: false, headers: { connection: 'close' } },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          const pod = /^Hostname: (.+)$/m.exec(body)?.[1] ?? (res.headers['x-netlab-pod'] as string | undefined);
          resolvePromise({ status: res.statusCode ?? 0, pod, body });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Waits until the load balancer answers with a 2xx (a new one may refuse or answer 5xx while its
 * targets register), and returns that answer.
 */
export function firstSuccess(target: Target, hostname: string, timeoutMs = 5 * 60_000): Promise<HttpAnswer> {
  let last = 'no answer yet';
  return waitFor(
    `a 2xx answer from ${hostname}`,
    async () => {
      const answer = await httpGet(target, hostname).catch((err: Error) => {
        last = err.message;
        return undefined;
      });
      if (answer) last = `HTTP ${answer.status}`;
      return answer && isSuccess(answer.status) ? answer : undefined;
    },
    { timeoutMs, intervalMs: 500, describe: () => last },
  );
}

/**
 * Sends `count` requests, each on a new connection, and counts the answers per pod (LAB.md phase 6:
 * 100 requests spread over the pods). Any answer other than a 2xx fails the check.
 */
export async function spreadOverPods(target: Target, hostname: string, count: number): Promise<Record<string, number>> {
  const perPod: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    heartbeat({ waitingFor: `${count} requests through ${hostname}`, state: `${i}/${count}` });
    const answer = await httpGet(target, hostname);
    if (!isSuccess(answer.status))
      throw new Error(`request ${i + 1} of ${count} through ${hostname} answered HTTP ${answer.status}`);
    const key = answer.pod ?? 'unknown';
    perPod[key] = (perPod[key] ?? 0) + 1;
  }
  return perPod;
}
