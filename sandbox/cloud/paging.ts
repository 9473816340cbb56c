// Small pages for every list and describe call the lab makes, so code that reads one page fails
// in the sandbox as it would on AWS with more resources than one page holds. The gateway asks
// moto for everything (moto honours the page-size parameter of only some calls), then cuts the
// answer into pages of at most `pageSize` items with a token of its own, in each service's own
// words: EC2 MaxResults/NextToken, IAM MaxItems/Marker/IsTruncated, ELBv2 PageSize/Marker/
// NextMarker, CloudFormation NextToken, EKS maxResults/nextToken, Route53 maxitems/marker.
import { awsError, type AwsCall } from './protocol.js';
import type { GatewayResponse } from './http.js';
import { childElements, elementTexts, escapeXml, findElement } from './xml.js';

/** How a service spells its paging: each has its own words for the token and the page size. */
type Style = 'ec2' | 'iam' | 'elbv2' | 'cloudformation' | 'eks' | 'route53';

interface PagedOperation {
  service: string;
  style: Style;
  /** The element (XML) or key (JSON) holding the items, and each item's element name. */
  list: string;
  item: string;
  /** Request parameter for the page size (none: the service picks its own size). */
  sizeParam?: string;
  tokenParam: string;
  /** What moto is asked for so that it answers with everything in one go. */
  motoAll?: Record<string, string>;
  /** Requests that name their resources one by one are answered whole, as on AWS. */
  byIds?: RegExp;
}

const ec2 = (list: string, byIds: RegExp): PagedOperation => ({
  service: 'ec2',
  style: 'ec2',
  list,
  item: 'item',
  sizeParam: 'MaxResults',
  tokenParam: 'NextToken',
  byIds,
});
const iam = (list: string): PagedOperation => ({
  service: 'iam',
  style: 'iam',
  list,
  item: 'member',
  sizeParam: 'MaxItems',
  tokenParam: 'Marker',
  motoAll: { MaxItems: '1000' },
});
const elbv2 = (list: string): PagedOperation => ({
  service: 'elasticloadbalancing',
  style: 'elbv2',
  list,
  item: 'member',
  sizeParam: 'PageSize',
  tokenParam: 'Marker',
  motoAll: { PageSize: '400' },
});
const cfn = (list: string): PagedOperation => ({
  service: 'cloudformation',
  style: 'cloudformation',
  list,
  item: 'member',
  tokenParam: 'NextToken',
  byIds: /^StackName$/,
});
const eks = (list: string): PagedOperation => ({
  service: 'eks',
  style: 'eks',
  list,
  item: '',
  sizeParam: 'maxResults',
  tokenParam: 'nextToken',
  motoAll: { maxResults: '100' },
});

/** The paged operations, by `service operation`; each follows its API reference page. */
export const pagedOperations: Record<string, PagedOperation> = {
  'ec2 DescribeInstances': ec2('reservationSet', /^InstanceId\.\d+$/),
  'ec2 DescribeVpcs': ec2('vpcSet', /^VpcId\.\d+$/),
  'ec2 DescribeSubnets': ec2('subnetSet', /^SubnetId\.\d+$/),
  'ec2 DescribeSecurityGroups': ec2('securityGroupInfo', /^(GroupId|GroupName)\.\d+$/),
  'ec2 DescribeNetworkInterfaces': ec2('networkInterfaceSet', /^NetworkInterfaceId\.\d+$/),
  'ec2 DescribeInstanceTypes': ec2('instanceTypeSet', /^InstanceType\.\d+$/),
  'ec2 DescribeRouteTables': ec2('routeTableSet', /^RouteTableId\.\d+$/),
  'ec2 DescribeInternetGateways': ec2('internetGatewaySet', /^InternetGatewayId\.\d+$/),
  'iam ListRoles': iam('Roles'),
  'iam ListPolicies': iam('Policies'),
  'iam ListAttachedRolePolicies': iam('AttachedPolicies'),
  'iam ListRolePolicies': iam('PolicyNames'),
  'iam ListInstanceProfilesForRole': iam('InstanceProfiles'),
  'iam ListPolicyVersions': iam('Versions'),
  'iam ListRoleTags': iam('Tags'),
  'elasticloadbalancing DescribeLoadBalancers': elbv2('LoadBalancers'),
  'elasticloadbalancing DescribeTargetGroups': elbv2('TargetGroups'),
  'elasticloadbalancing DescribeListeners': elbv2('Listeners'),
  'elasticloadbalancing DescribeRules': elbv2('Rules'),
  'cloudformation DescribeStacks': cfn('Stacks'),
  'cloudformation ListStacks': cfn('StackSummaries'),
  'cloudformation ListStackResources': cfn('StackResourceSummaries'),
  'cloudformation DescribeStackEvents': cfn('StackEvents'),
  'eks ListClusters': eks('clusters'),
  'eks ListNodegroups': eks('nodegroups'),
  'eks ListAddons': eks('addons'),
  'route53 ListHostedZones': {
    service: 'route53',
    style: 'route53',
    list: 'HostedZones',
    item: 'HostedZone',
    sizeParam: 'maxitems',
    tokenParam: 'marker',
  },
};

export const defaultPageSize = Number(process.env.NETLAB_PAGE_SIZE ?? 5);

/** A call's parameters: the query string, or the form body of the query protocol. */
function paramsOf(call: AwsCall): { params: URLSearchParams; inBody: boolean } {
  const fromBody = call.method === 'POST' && !call.query.has('Action') && call.body.length > 0;
  return fromBody
    ? { params: new URLSearchParams(call.body.toString()), inBody: true }
    : { params: new URLSearchParams(call.query), inBody: false };
}

function withParams(call: AwsCall, params: URLSearchParams, inBody: boolean): AwsCall {
  return inBody ? { ...call, body: Buffer.from(params.toString()) } : { ...call, query: params };
}

// Tokens carry the offset and the operation, so one call's token is refused by another.
const encodeToken = (operation: string, offset: number): string =>
  Buffer.from(JSON.stringify({ netlab: operation, offset })).toString('base64url');
/** The offset a token of ours carries; 'foreign' for moto's own tokens; undefined when it is another call's. */
function decodeToken(operation: string, token: string): number | 'foreign' | undefined {
  let t: { netlab?: string; offset?: number };
  try {
    t = JSON.parse(Buffer.from(token, 'base64url').toString()) as typeof t;
  } catch {
    return 'foreign';
  }
  if (typeof t?.netlab !== 'string') return 'foreign';
  return t.netlab === operation && Number.isInteger(t.offset) && t.offset! >= 0 ? t.offset : undefined;
}

/** moto paged the answer itself (more than its page holds): then its tokens are passed through. */
const motoTruncated = (body: string): boolean =>
  /<IsTruncated>true<\/IsTruncated>|<(nextToken|NextToken|NextMarker)>[^<]+</.test(body) ||
  /"nextToken":\s*"[^"]/.test(body);

const badToken: Record<Style, string> = {
  ec2: 'InvalidParameterValue',
  iam: 'ValidationError',
  elbv2: 'ValidationError',
  cloudformation: 'ValidationError',
  eks: 'InvalidParameterException',
  route53: 'InvalidInput',
};

export interface PagedCall {
  /** The call to send on to moto: the client's page parameters replaced by "everything". */
  call: AwsCall;
  /** Cuts moto's whole answer down to the requested page. */
  page(res: GatewayResponse): GatewayResponse;
}

export class Pager {
  pageSize = defaultPageSize;

  /** How to page this call, an error for a bad token, or undefined when the call is not paged. */
  prepare(call: AwsCall): PagedCall | GatewayResponse | undefined {
    if (call.service === 'route53' && call.operation === 'ListResourceRecordSets' && this.pageSize > 0)
      return this.recordSets(call);
    const op = pagedOperations[`${call.service} ${call.operation}`];
    if (!op || this.pageSize <= 0) return undefined;
    const { params, inBody } = paramsOf(call);
    if (op.byIds && [...params.keys()].some((k) => op.byIds!.test(k))) return undefined;
    const token = params.get(op.tokenParam);
    const offset = token === null ? 0 : decodeToken(call.operation, token);
    if (offset === 'foreign') return undefined;
    if (offset === undefined) {
      const message = `The ${op.tokenParam} '${token}' is not valid for ${call.operation}`;
      return awsError(call.service, badToken[op.style], message, 400);
    }
    const asked = Number(params.get(op.sizeParam ?? '') || Infinity);
    const size = Math.max(1, Math.min(this.pageSize, asked));
    params.delete(op.tokenParam);
    if (op.sizeParam) params.delete(op.sizeParam);
    for (const [k, v] of Object.entries(op.motoAll ?? {})) params.set(k, v);
    return {
      call: withParams(call, params, inBody),
      page: (res) =>
        res.status === 200 && !motoTruncated(res.body.toString())
          ? this.cut(op, call.operation, res, offset, size)
          : res,
    };
  }

  /**
   * Route53 ListResourceRecordSets pages by record, not by token: a page starts at the record
   * named by `name` and `type` (StartRecordName/Type) and ends with IsTruncated and the next
   * page's NextRecordName/NextRecordType (Route 53 API reference, ListResourceRecordSets).
   */
  private recordSets(call: AwsCall): PagedCall {
    const params = new URLSearchParams(call.query);
    const [startName, startType] = [params.get('name'), params.get('type')];
    const size = Math.max(1, Math.min(this.pageSize, Number(params.get('maxitems') || Infinity)));
    for (const k of ['name', 'type', 'identifier', 'maxitems']) params.delete(k);
    const canonical = (name: string): string => (name.endsWith('.') ? name : `${name}.`).toLowerCase();
    const page = (res: GatewayResponse): GatewayResponse => {
      const body = res.body.toString();
      const list = findElement(body, 'ResourceRecordSets');
      if (res.status !== 200 || !list) return res;
      const records = childElements(body.slice(list.innerStart, list.innerEnd), 'ResourceRecordSet');
      const nameOf = (r: string): string => canonical(elementTexts(r, 'Name')[0] ?? '');
      const typeOf = (r: string): string => elementTexts(r, 'Type')[0] ?? '';
      const start =
        startName === null
          ? 0
          : records.findIndex((r) => nameOf(r) === canonical(startName) && (!startType || typeOf(r) === startType));
      const from = start < 0 ? records.length : start;
      const next = records[from + size];
      const fields =
        tag('IsTruncated', next ? 'true' : 'false') +
        (next ? tag('NextRecordName', nameOf(next)) + tag('NextRecordType', typeOf(next)) : '') +
        tag('MaxItems', String(size));
      let xml = `${body.slice(0, list.start)}<ResourceRecordSets>${records.slice(from, from + size).join('')}</ResourceRecordSets>${body.slice(list.end)}`;
      xml = ['IsTruncated', 'NextRecordName', 'NextRecordType', 'NextRecordIdentifier', 'MaxItems'].reduce(
        dropElement,
        xml,
      );
      const at = xml.lastIndexOf('</ListResourceRecordSetsResponse>');
      return { ...res, body: at < 0 ? xml : xml.slice(0, at) + fields + xml.slice(at) };
    };
    return { call: { ...call, query: params }, page };
  }

  private cut(
    op: PagedOperation,
    operation: string,
    res: GatewayResponse,
    offset: number,
    size: number,
  ): GatewayResponse {
    const body = res.body.toString();
    if (op.style === 'eks') {
      const parsed = JSON.parse(body) as Record<string, unknown>;
      const items = (parsed[op.list] as unknown[] | undefined) ?? [];
      const more = offset + size < items.length;
      const out = {
        ...parsed,
        [op.list]: items.slice(offset, offset + size),
        nextToken: undefined as string | undefined,
      };
      if (more) out.nextToken = encodeToken(operation, offset + size);
      return { ...res, body: JSON.stringify(out) };
    }
    const list = findElement(body, op.list);
    if (!list) return res;
    const items = childElements(body.slice(list.innerStart, list.innerEnd), op.item);
    const more = offset + size < items.length;
    const next = more ? encodeToken(operation, offset + size) : undefined;
    const listXml = `<${op.list}>${items.slice(offset, offset + size).join('')}</${op.list}>`;
    let xml = body.slice(0, list.start) + listXml + body.slice(list.end);
    xml = setPagingFields(xml, op.style, operation, next, size);
    return { ...res, body: xml };
  }
}

const tag = (name: string, value: string | undefined): string =>
  value === undefined ? '' : `<${name}>${escapeXml(value)}</${name}>`;
const dropElement = (xml: string, name: string): string =>
  xml.replace(new RegExp(`<${name}>[^<]*</${name}>|<${name}\\s*/>`, 'g'), '');

/** Replaces moto's own paging fields with the page's. */
function setPagingFields(xml: string, style: Style, operation: string, next: string | undefined, size: number): string {
  const truncated = tag('IsTruncated', next ? 'true' : 'false');
  const [drop, fields, closing] = {
    ec2: [['nextToken'], tag('nextToken', next), `</${operation}Response>`],
    iam: [['IsTruncated', 'Marker'], truncated + tag('Marker', next), `</${operation}Result>`],
    elbv2: [['NextMarker'], tag('NextMarker', next), `</${operation}Result>`],
    cloudformation: [['NextToken'], tag('NextToken', next), `</${operation}Result>`],
    route53: [
      ['IsTruncated', 'NextMarker', 'MaxItems'],
      truncated + tag('NextMarker', next) + tag('MaxItems', String(size)),
      `</${operation}Response>`,
    ],
    eks: [[], '', ''],
  }[style] as [string[], string, string];
  const out = drop.reduce(dropElement, xml);
  const at = out.lastIndexOf(closing);
  return at < 0 ? out : out.slice(0, at) + fields + out.slice(at);
}
