// The sandbox's AWS endpoint: every AWS SDK client of the lab points here. It forwards to moto
// and adds what moto lacks (EKS's control planes, nodes and add-ons; time that AWS takes) plus
// what tests need (fault injection). `/_netlab/*` is its own admin API.
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { endpoints } from '../config.js';
import type { CloudFormationEmulator } from './cloudformation.js';
import type { DnsEmulator } from './dns.js';
import type { Ec2Emulator } from './ec2.js';
import type { EksEmulator } from './eks.js';
import { faultSpecSchema, type FaultInjector } from './faults.js';
import type { IamEnforcement } from './iam-enforcement.js';
import { json, type GatewayResponse } from './http.js';
import { latencyProfiles, latencyProfileSchema, type LatencyProfile } from './latency.js';
import type { LoadBalancerEmulator } from './loadbalancers.js';
import type { Pager } from './paging.js';
import type { RegionGate } from './regions.js';
import { throttlingSchema, type Throttler } from './throttling.js';
import type { Route53Emulator } from './route53.js';
import { reviewToken } from './tokens.js';
import type { RequestValidator } from './validation.js';
import { recordCall, trailSince } from './trail.js';
import { transitionsSince } from './transitions.js';
import { awsError, faultErrors, operationOf, regionOf, serviceOf, type AwsCall } from './protocol.js';

export interface Cloud {
  cloudformation: CloudFormationEmulator;
  eks: EksEmulator;
  ec2: Ec2Emulator;
  loadBalancers: LoadBalancerEmulator;
  dns: DnsEmulator;
  route53: Route53Emulator;
  /** Opt-in regions the account has not enabled: calls made in them are refused. */
  regions: RegionGate;
  validator: RequestValidator;
  faults: FaultInjector;
  /** IRSA: web identity checks and the IRSA roles' policies on calls signed with their keys. */
  iam: IamEnforcement;
  paging: Pager;
  throttling: Throttler;
  profile: { current: LatencyProfile };
  log: (line: string) => void;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolvePromise(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Sends the call on to moto unchanged. */
function forwardToMoto(call: AwsCall, headers: IncomingMessage['headers']): Promise<GatewayResponse> {
  const target = new URL(endpoints.moto);
  const qs = call.query.toString();
  return new Promise((resolvePromise, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        method: call.method,
        path: call.path + (qs ? `?${qs}` : ''),
        // The gateway may have rewritten the body (paging, filters).
        headers: { ...headers, 'content-length': String(call.body.length) },
      },
      (res) => {
        void readBody(res).then((body) => {
          const out: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) {
            if (v !== undefined && !['content-length', 'transfer-encoding', 'connection'].includes(k))
              out[k] = String(v);
          }
          resolvePromise({ status: res.statusCode ?? 502, headers: out, body });
        }, reject);
      },
    );
    req.on('error', reject);
    req.end(call.body);
  });
}

async function admin(
  cloud: Cloud,
  method: string,
  path: string,
  query: URLSearchParams,
  body: Buffer,
): Promise<GatewayResponse> {
  const parsed = body.length ? (JSON.parse(body.toString()) as unknown) : {};
  const tokenReview = /^\/_netlab\/tokenreview\/([^/]+)$/.exec(path);
  if (tokenReview && method === 'POST') return reviewToken(decodeURIComponent(tokenReview[1]!), parsed as object);
  if (path === '/_netlab/health')
    return json(200, { ok: true, profile: cloud.profile.current.name, node: process.versions.node });
  if (path === '/_netlab/status') {
    return json(200, {
      profile: cloud.profile.current,
      clusters: [...cloud.eks.clusters.values()].map((c) => ({
        name: c.name,
        kwok: c.kwok,
        state: c.state,
        error: c.error,
        nodegroups: [...c.nodegroups.keys()],
      })),
      loadBalancers: [...cloud.loadBalancers.frontends.entries()].map(([host, f]) => ({
        host,
        kind: f.kind,
        cluster: f.cluster,
        object: f.object,
        backends: f.backends.length,
        served: Object.fromEntries(f.served),
      })),
      faults: cloud.faults.list(),
    });
  }
  if (path === '/_netlab/faults') {
    if (method === 'POST') {
      const spec = faultSpecSchema.safeParse(parsed);
      if (!spec.success) return json(400, { error: spec.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
      return json(200, cloud.faults.add(spec.data));
    }
    if (method === 'DELETE') cloud.faults.clear();
    return json(200, cloud.faults.list());
  }
  if (path === '/_netlab/paging') {
    if (method === 'PUT') {
      const size = (parsed as { pageSize?: unknown }).pageSize;
      if (!Number.isInteger(size) || (size as number) < 0)
        return json(400, { error: 'pageSize must be a whole number (0: no paging by the gateway)' });
      cloud.paging.pageSize = size as number;
    }
    return json(200, { pageSize: cloud.paging.pageSize });
  }
  if (path === '/_netlab/throttling') {
    if (method === 'PUT') {
      const config = throttlingSchema.safeParse(parsed);
      if (!config.success)
        return json(400, { error: config.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
      cloud.throttling.set(config.data);
    }
    return json(200, cloud.throttling.current);
  }
  if (path === '/_netlab/route53') {
    // Route53's account-wide request rate, so a test can lower or raise it.
    const rate = (parsed as { requestsPerSecond?: unknown }).requestsPerSecond;
    if (method === 'PUT') {
      if (typeof rate !== 'number' || !(rate > 0))
        return json(400, { error: 'requestsPerSecond must be a number > 0' });
      cloud.route53.requestsPerSecond = rate;
    }
    return json(200, { requestsPerSecond: cloud.route53.requestsPerSecond });
  }
  if (path === '/_netlab/trail') return json(200, trailSince(Number(query.get('since') ?? 0)));
  if (path === '/_netlab/transitions') return json(200, transitionsSince(Number(query.get('since') ?? 0)));
  if (path === '/_netlab/profile') {
    if (method === 'PUT') {
      // A full profile as given (tests change one delay of the running profile), else one by name.
      const named = (parsed as { name?: string }).name;
      const next =
        latencyProfileSchema.safeParse(parsed).data ??
        (named && named in latencyProfiles ? latencyProfiles[named as keyof typeof latencyProfiles] : undefined);
      if (!next)
        return json(400, {
          error: `profile must be one of ${Object.keys(latencyProfiles).join(', ')} or a full profile`,
        });
      cloud.profile.current = next;
    }
    return json(200, cloud.profile.current);
  }
  return json(404, { error: `no admin route ${method} ${path}` });
}

export function startGateway(cloud: Cloud, port: number, host: string): Server {
  const server = createServer((req, res) => {
    void (async (): Promise<GatewayResponse> => {
      const url = new URL(req.url ?? '/', 'http://gateway');
      const body = await readBody(req);
      if (url.pathname.startsWith('/_netlab/'))
        return admin(cloud, req.method ?? 'GET', url.pathname, url.searchParams, body);
      const service = serviceOf(req);
      const target = req.headers['x-amz-target'];
      const call: AwsCall = {
        service,
        operation: operationOf(
          service,
          req.method ?? 'GET',
          url.pathname,
          url.searchParams,
          body,
          typeof target === 'string' ? target : undefined,
        ),
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        body,
      };
      const region = regionOf(req.headers.authorization);
      // AWS refuses the credentials before the service sees the request.
      const notEnabled = await cloud.regions.check(call, region);
      if (notEnabled) {
        cloud.log(
          `refused ${call.service} ${call.operation}: ${region} is an opt-in region this account has not enabled`,
        );
        recordCall(call, notEnabled, region);
        return notEnabled;
      }
      const invalid = cloud.validator.check(call);
      if (invalid) {
        cloud.log(`refused ${call.service} ${call.operation}: ${invalid.body}`);
        return invalid;
      }
      const fault = cloud.faults.match(call.service, call.operation);
      const failWith = (): GatewayResponse => {
        cloud.log(
          `fault #${fault!.id}: ${call.service} ${call.operation} fails with ${fault!.error}${fault!.after ? ' after taking effect' : ''}`,
        );
        return awsError(call.service, fault!.error, fault!.message, faultErrors[fault!.error]);
      };
      // An `outcome` fault lets the call succeed and makes the resource fail later.
      const outcome = fault?.outcome;
      if (fault && !fault.after && !outcome) return failWith();
      const throttled = cloud.throttling.check(call, req.headers.authorization);
      if (throttled) return throttled;
      const sessionToken = req.headers['x-amz-security-token'];
      const denied = await cloud.iam.check(
        call,
        req.headers.authorization,
        typeof sessionToken === 'string' ? sessionToken : undefined,
      );
      if (denied) return denied;
      const paged = cloud.paging.prepare(call);
      if (paged && !('call' in paged)) return paged;
      const forward = (c: AwsCall): Promise<GatewayResponse> => forwardToMoto(c, req.headers);
      const route = async (c: AwsCall): Promise<GatewayResponse> =>
        c.service === 'eks'
          ? cloud.eks.handle(c, forward, outcome)
          : c.service === 'cloudformation'
            ? cloud.cloudformation.handle(c, forward)
            : c.service === 'route53'
              ? cloud.route53.handle(c, forward)
              : c.service === 'ec2'
                ? cloud.ec2.handle(c, forward)
                : c.service === 'elasticloadbalancing'
                  ? cloud.loadBalancers.handle(c, forward)
                  : c.operation === 'AssumeRoleWithWebIdentity' // unsigned, so no service in its credential scope
                    ? cloud.iam.assumeRoleWithWebIdentity(c, forward)
                    : forward(c);
      const answer = paged ? paged.page(await route(paged.call)) : await route(call);
      recordCall(call, answer, region);
      return fault && !outcome ? failWith() : answer;
    })()
      .then((out) => res.writeHead(out.status, out.headers).end(out.body))
      .catch((err: Error) => {
        cloud.log(`gateway error on ${req.method} ${req.url}: ${err.stack ?? err.message}`);
        const e = awsError(serviceOf(req), 'InternalError', err.message, 500);
        res.writeHead(e.status, e.headers).end(e.body);
      });
  });
  server.listen(port, host);
  return server;
}
