// What an AWS API request is (service and operation) and how that service's protocol spells an
// error, so the gateway can route, inject faults and answer like AWS does.
import type { IncomingMessage } from 'node:http';

export interface AwsCall {
  service: string;
  operation: string;
  method: string;
  path: string;
  query: URLSearchParams;
  body: Buffer;
}

/** SigV4's credential scope names the service: `Credential=AKID/20260101/region/eks/aws4_request`. */
export function serviceOf(req: IncomingMessage): string {
  const auth = req.headers.authorization ?? '';
  const match = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth);
  return match?.[1] ?? 'unknown';
}

/** The region SigV4's credential scope names: `Credential=AKID/20260101/<region>/eks/aws4_request`. */
export const regionOf = (authorization: string | undefined): string | undefined =>
  /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(authorization ?? '')?.[1];

// REST-style services name their operations by method and path.
const restOperations: Record<string, [string, RegExp, string][]> = {
  eks: [
    ['POST', /^\/clusters$/, 'CreateCluster'],
    ['GET', /^\/clusters$/, 'ListClusters'],
    ['GET', /^\/clusters\/[^/]+$/, 'DescribeCluster'],
    ['DELETE', /^\/clusters\/[^/]+$/, 'DeleteCluster'],
    ['POST', /^\/clusters\/[^/]+\/node-groups$/, 'CreateNodegroup'],
    ['GET', /^\/clusters\/[^/]+\/node-groups$/, 'ListNodegroups'],
    ['GET', /^\/clusters\/[^/]+\/node-groups\/[^/]+$/, 'DescribeNodegroup'],
    ['DELETE', /^\/clusters\/[^/]+\/node-groups\/[^/]+$/, 'DeleteNodegroup'],
    ['POST', /^\/clusters\/[^/]+\/addons$/, 'CreateAddon'],
    ['GET', /^\/clusters\/[^/]+\/addons$/, 'ListAddons'],
    ['GET', /^\/clusters\/[^/]+\/addons\/[^/]+$/, 'DescribeAddon'],
    ['DELETE', /^\/clusters\/[^/]+\/addons\/[^/]+$/, 'DeleteAddon'],
    ['GET', /^\/addons\/supported-versions$/, 'DescribeAddonVersions'],
    ['POST', /^\/tags\/.+$/, 'TagResource'],
    ['GET', /^\/tags\/.+$/, 'ListTagsForResource'],
  ],
  route53: [
    ['POST', /^\/2013-04-01\/hostedzone$/, 'CreateHostedZone'],
    ['GET', /^\/2013-04-01\/hostedzone$/, 'ListHostedZones'],
    ['GET', /^\/2013-04-01\/hostedzonesbyname$/, 'ListHostedZonesByName'],
    ['GET', /^\/2013-04-01\/hostedzone\/[^/]+$/, 'GetHostedZone'],
    ['DELETE', /^\/2013-04-01\/hostedzone\/[^/]+$/, 'DeleteHostedZone'],
    ['POST', /^\/2013-04-01\/hostedzone\/[^/]+\/rrset\/?$/, 'ChangeResourceRecordSets'],
    ['GET', /^\/2013-04-01\/hostedzone\/[^/]+\/rrset\/?$/, 'ListResourceRecordSets'],
    ['GET', /^\/2013-04-01\/change\/[^/]+$/, 'GetChange'],
    ['POST', /^\/2013-04-01\/tags\/hostedzone$/, 'ListTagsForResources'],
    ['GET', /^\/2013-04-01\/tags\/hostedzone\/[^/]+$/, 'ListTagsForResource'],
    ['POST', /^\/2013-04-01\/tags\/hostedzone\/[^/]+$/, 'ChangeTagsForResource'],
  ],
};

export function operationOf(
  service: string,
  method: string,
  path: string,
  query: URLSearchParams,
  body: Buffer,
  target?: string,
): string {
  if (target) return target.split('.').pop() ?? target; // JSON protocol: X-Amz-Target
  const action = query.get('Action') ?? new URLSearchParams(body.toString()).get('Action'); // query protocol
  if (action) return action;
  const rest = restOperations[service]?.find(([m, re]) => m === method && re.test(path));
  return rest?.[2] ?? `${method} ${path}`;
}

/** AWS error codes the fault injector can raise, with their HTTP status. */
export const faultErrors = {
  Throttling: 400,
  ThrottlingException: 400,
  RequestLimitExceeded: 503,
  InternalError: 500,
  ServiceUnavailable: 503,
  AccessDenied: 403,
  AccessDeniedException: 403,
  LimitExceeded: 400,
  DependencyViolation: 400,
} as const;
export type FaultError = keyof typeof faultErrors;

export interface AwsErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Renders an error the way the named service's protocol does, so the SDK parses it natively. */
export function awsError(service: string, code: string, message: string, status: number): AwsErrorResponse {
  const requestId = crypto.randomUUID();
  const xml = (inner: string): AwsErrorResponse => ({
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: inner,
  });
  if (service === 'eks') {
    return {
      status,
      headers: { 'content-type': 'application/json', 'x-amzn-errortype': code, 'x-amzn-requestid': requestId },
      body: JSON.stringify({ message }),
    };
  }
  if (service === 'ec2') {
    return xml(
      `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
    );
  }
  return xml(
    `<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  );
}
