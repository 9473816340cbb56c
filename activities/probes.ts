// Probes from outside the cluster: HTTP requests through a load balancer, counted per pod.
import { request } from 'node:http';
import { lookupThrough } from './dns.js';
import type { Target } from './target.js';

export interface HttpAnswer {
  status: number;
  /** The pod that answered, from the echo server's reply. */
  pod?: string;
  body: string;
}

export function httpGet(target: Target, hostname: string, path = '/'): Promise<HttpAnswer> {
  const url = new URL(path, target.loadBalancerHttp(hostname));
  return new Promise((resolvePromise, reject) => {
    const req = request(url, { lookup: lookupThrough(target), timeout: 5_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        const pod = /^Hostname: (.+)$/m.exec(body)?.[1] ?? (res.headers['x-netlab-pod'] as string | undefined);
        resolvePromise({ status: res.statusCode ?? 0, pod, body });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** Sends `count` requests and counts the answers per pod (LAB.md phase 6: 100 requests spread over the pods). */
export async function spreadOverPods(target: Target, hostname: string, count: number): Promise<Record<string, number>> {
  const perPod: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const answer = await httpGet(target, hostname);
    const key = answer.status === 200 ? (answer.pod ?? 'unknown') : `HTTP ${answer.status}`;
    perPod[key] = (perPod[key] ?? 0) + 1;
  }
  return perPod;
}
