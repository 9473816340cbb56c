// A CloudTrail-like record of the create calls the gateway served: which call, for which name,
// whether it took effect and what it made. Tests and `npm run chaos` read it to count resources
// made twice (a retried create whose first answer was lost, a create that raced its undo). It
// records the account's region look-ups (DescribeRegions) too, answered or refused, so a test can
// see which region was asked.
import type { AwsCall } from './protocol.js';
import type { GatewayResponse } from './http.js';

export interface TrailEntry {
  /** When the call was answered (ms since the epoch). */
  at: number;
  service: string;
  operation: string;
  /** The region the call was signed for. */
  region?: string;
  /** The status the service answered with, before any injected fault replaced the answer. */
  status: number;
  /** What a create call named (empty for a region look-up): stack, cluster (and node group or add-on), role, policy, provider URL, zone's caller reference. */
  name: string;
  /** What it made, from the answer: the first ARN, stack id or hosted zone id. */
  made?: string;
}

const kept = 10_000;
const entries: TrailEntry[] = [];

/** The name a create call gives its resource, whatever the protocol (query, rest-json, rest-xml). */
function nameOf(call: AwsCall): string {
  const text = call.body.toString();
  const form = new URLSearchParams(text);
  for (const key of ['StackName', 'RoleName', 'PolicyName', 'InstanceProfileName', 'Url', 'Name']) {
    const value = form.get(key) ?? call.query.get(key);
    if (value) return value;
  }
  if (text.startsWith('{')) {
    const body = JSON.parse(text) as Record<string, unknown>;
    const cluster = /\/clusters\/([^/]+)/.exec(call.path)?.[1];
    const own = body.nodegroupName ?? body.addonName ?? body.name;
    return [cluster && decodeURIComponent(cluster), own].filter(Boolean).join('/');
  }
  // Route53: the caller reference names the request (a lab's carries its id); the zone name may be shared.
  return (
    (/<CallerReference>([^<]+)<\/CallerReference>/.exec(text) ?? /<Name>([^<]+)<\/Name>/.exec(text))?.[1] ?? call.path
  );
}

function madeOf(answer: GatewayResponse): string | undefined {
  const text = answer.body.toString();
  return (/"?(?:StackId)"?[>:]\s*"?([^"<]+)/.exec(text) ??
    /<Id>(\/hostedzone\/[^<]+)<\/Id>/.exec(text) ??
    /(arn:aws:[a-z0-9-]+:[^"<\s]+)/.exec(text))?.[1];
}

export function recordCall(call: AwsCall, answer: GatewayResponse, region: string | undefined): void {
  const create = call.operation.startsWith('Create');
  if (!create && call.operation !== 'DescribeRegions') return;
  entries.push({
    at: Date.now(),
    service: call.service,
    operation: call.operation,
    region,
    status: answer.status,
    name: create ? nameOf(call) : '',
    made: answer.status < 300 ? madeOf(answer) : undefined,
  });
  if (entries.length > kept) entries.splice(0, entries.length - kept);
}

/** The calls recorded since `since` (ms since the epoch). */
export const trailSince = (since: number): TrailEntry[] => entries.filter((e) => e.at >= since);
