// EKS authentication, emulated: the API servers' token-review webhook. An EKS token is
// `k8s-aws-v1.` + base64url(presigned STS GetCallerIdentity URL signed with the x-k8s-aws-id
// header); aws-iam-authenticator checks it by calling STS with it. Here the STS is moto's,
// which does not check signatures, so this checks the token's shape and age, then asks moto
// who the caller is. Like EKS's cluster creator, every caller is a cluster admin.
import { request } from 'node:http';
import { endpoints } from '../config.js';
import { json, type GatewayResponse } from './http.js';

const prefix = 'k8s-aws-v1.';
const maxAgeMs = 15 * 60_000;

interface TokenReview {
  apiVersion?: string;
  spec?: { token?: string };
}

/** Asks STS who signed the URL. moto routes presigned URLs to S3, so the signature travels as a header. */
function callerArn(url: URL, cluster: string): Promise<string> {
  const target = new URL(endpoints.moto);
  const q = url.searchParams;
  const authorization = `${q.get('X-Amz-Algorithm')} Credential=${q.get('X-Amz-Credential')}, SignedHeaders=${q.get('X-Amz-SignedHeaders')}, Signature=${q.get('X-Amz-Signature')}`;
  const headers = { authorization, 'x-amz-date': q.get('X-Amz-Date') ?? '', 'x-k8s-aws-id': cluster };
  const path = `/?Action=GetCallerIdentity&Version=${q.get('Version') ?? '2011-06-15'}`;
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: target.hostname, port: target.port, path, method: 'GET', headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        const arn = /<Arn>([^<]+)<\/Arn>/.exec(body)?.[1];
        if (res.statusCode === 200 && arn) resolvePromise(arn);
        else reject(new Error(`STS refused the token: ${res.statusCode}`));
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Why the token is not a valid EKS token for the cluster, or undefined when it is. */
export function tokenProblem(token: string, now = Date.now()): string | undefined {
  if (!token.startsWith(prefix)) return `token does not start with ${prefix}`;
  let url: URL;
  try {
    url = new URL(Buffer.from(token.slice(prefix.length), 'base64url').toString());
  } catch {
    return 'token is not a base64url URL';
  }
  const q = url.searchParams;
  if (q.get('Action') !== 'GetCallerIdentity') return 'token is not a GetCallerIdentity request';
  if (!(q.get('X-Amz-SignedHeaders') ?? '').split(';').includes('x-k8s-aws-id'))
    return 'x-k8s-aws-id is not a signed header';
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(q.get('X-Amz-Date') ?? '');
  if (!date || !q.get('X-Amz-Signature')) return 'token is not presigned';
  const signedAt = Date.UTC(+date[1]!, +date[2]! - 1, +date[3]!, +date[4]!, +date[5]!, +date[6]!);
  if (now - signedAt > maxAgeMs) return 'token expired';
  return undefined;
}

export async function reviewToken(cluster: string, body: TokenReview): Promise<GatewayResponse> {
  const token = body.spec?.token ?? '';
  const deny = (error: string): GatewayResponse =>
    json(200, {
      apiVersion: body.apiVersion ?? 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      status: { authenticated: false, error },
    });
  const problem = tokenProblem(token);
  if (problem) return deny(problem);
  try {
    const url = new URL(Buffer.from(token.slice(prefix.length), 'base64url').toString());
    const arn = await callerArn(url, cluster);
    return json(200, {
      apiVersion: body.apiVersion ?? 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      status: {
        authenticated: true,
        user: { username: arn, uid: arn, groups: ['system:masters', 'system:authenticated'] },
      },
    });
  } catch (err) {
    return deny((err as Error).message);
  }
}
