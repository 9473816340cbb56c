// Request validation against AWS's published service models (botocore's JSON models, read from
// the moto virtualenv at gateway start): required members, string and list lengths, patterns,
// enums and numeric ranges, refused with the error each service gives, so a name over AWS's limit
// fails in the sandbox as it would on AWS. moto checks almost none of these.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseXML } from '@aws-sdk/xml-builder';
import { awsError, type AwsCall, type AwsErrorResponse } from './protocol.js';

interface MemberRef {
  shape: string;
  location?: string;
  locationName?: string;
  queryName?: string;
  flattened?: boolean;
}
interface Shape {
  type: string;
  members?: Record<string, MemberRef>;
  required?: string[];
  member?: MemberRef;
  key?: MemberRef;
  value?: MemberRef;
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  flattened?: boolean;
  locationName?: string;
}
export interface ServiceModel {
  metadata: { protocol: string };
  operations: Record<string, { http?: { method: string; requestUri: string }; input?: { shape: string } }>;
  shapes: Record<string, Shape>;
}

/** The gateway's service names (SigV4 signing names) → botocore's model folder. */
const modelFolders: Record<string, string> = {
  ec2: 'ec2',
  iam: 'iam',
  elasticloadbalancing: 'elbv2',
  cloudformation: 'cloudformation',
  sts: 'sts',
  route53: 'route53',
  eks: 'eks',
};

/** botocore's data folder inside a virtualenv (`lib/python3.X/site-packages/botocore/data`). */
export function botocoreDataDir(venv: string): string | undefined {
  const lib = join(venv, 'lib');
  if (!existsSync(lib)) return undefined;
  for (const python of readdirSync(lib)) {
    const dir = join(lib, python, 'site-packages', 'botocore', 'data');
    if (existsSync(dir)) return dir;
  }
  return undefined;
}

/** Reads the newest API version's model of each service the gateway serves; newer botocore gzips them. */
export function loadServiceModels(dataDir: string): Map<string, ServiceModel> {
  const models = new Map<string, ServiceModel>();
  for (const [service, folder] of Object.entries(modelFolders)) {
    const versions = readdirSync(join(dataDir, folder)).sort();
    const dir = join(dataDir, folder, versions[versions.length - 1]!);
    const plain = join(dir, 'service-2.json');
    const text = existsSync(plain)
      ? readFileSync(plain, 'utf8')
      : gunzipSync(readFileSync(`${plain}.gz`)).toString('utf8');
    models.set(service, JSON.parse(text) as ServiceModel);
  }
  return models;
}

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const many = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Reads the input of a query-protocol request (EC2's dialect when `ec2`) from its form parameters. */
function fromQuery(
  model: ServiceModel,
  ref: MemberRef,
  prefix: string,
  params: URLSearchParams,
  ec2: boolean,
): unknown {
  const shape = model.shapes[ref.shape]!;
  const has = (p: string): boolean => [...params.keys()].some((k) => k === p || k.startsWith(`${p}.`));
  if (prefix && !has(prefix)) return undefined;
  if (shape.type === 'structure') {
    const out: Record<string, unknown> = {};
    for (const [name, member] of Object.entries(shape.members ?? {})) {
      const wire = ec2 ? (member.queryName ?? capitalize(member.locationName ?? name)) : (member.locationName ?? name);
      const value = fromQuery(model, member, prefix ? `${prefix}.${wire}` : wire, params, ec2);
      if (value !== undefined) out[name] = value;
    }
    return out;
  }
  if (shape.type === 'list' || shape.type === 'map') {
    const flat = ec2 || shape.flattened || ref.flattened;
    const itemPrefix = flat
      ? prefix
      : `${prefix}.${shape.type === 'map' ? 'entry' : (shape.member!.locationName ?? 'member')}`;
    const indexes = new Set<number>();
    for (const k of params.keys()) {
      const m = new RegExp(`^${itemPrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(\\d+)(\\.|$)`).exec(k);
      if (m) indexes.add(Number(m[1]));
    }
    const sorted = [...indexes].sort((a, b) => a - b);
    if (shape.type === 'list')
      return sorted.map((i) => fromQuery(model, shape.member!, `${itemPrefix}.${i}`, params, ec2));
    return Object.fromEntries(
      sorted.map((i) => [
        params.get(`${itemPrefix}.${i}.${shape.key!.locationName ?? 'key'}`) ?? '',
        fromQuery(model, shape.value!, `${itemPrefix}.${i}.${shape.value!.locationName ?? 'value'}`, params, ec2),
      ]),
    );
  }
  return scalar(shape, params.get(prefix) ?? undefined);
}

const numeric = new Set(['integer', 'long', 'double', 'float']);
const scalar = (shape: Shape, raw: unknown): unknown =>
  raw === undefined || raw === null ? undefined : numeric.has(shape.type) ? Number(raw) : raw;

/** Reads a rest-xml body element (as the XML parser gives it) into the shape's member names. */
function fromXml(model: ServiceModel, ref: MemberRef, node: unknown): unknown {
  const shape = model.shapes[ref.shape]!;
  if (node === undefined) return undefined;
  if (shape.type === 'structure') {
    const out: Record<string, unknown> = {};
    for (const [name, member] of Object.entries(shape.members ?? {})) {
      if (member.location) continue;
      const value = fromXml(model, member, (node as Record<string, unknown>)[member.locationName ?? name]);
      if (value !== undefined) out[name] = value;
    }
    return out;
  }
  if (shape.type === 'list') {
    const items = shape.flattened ? node : (node as Record<string, unknown>)[shape.member!.locationName ?? 'member'];
    return many(items).map((item) => fromXml(model, shape.member!, item));
  }
  return scalar(shape, typeof node === 'object' ? '' : node);
}

/** Members carried in the URI, the query string or headers of a rest request. */
function fromHttp(
  model: ServiceModel,
  shape: Shape,
  labels: Record<string, string>,
  query: URLSearchParams,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(shape.members ?? {})) {
    const wire = member.locationName ?? name;
    const memberShape = model.shapes[member.shape]!;
    if (member.location === 'uri' && labels[wire] !== undefined) out[name] = scalar(memberShape, labels[wire]);
    if (member.location === 'querystring' && query.has(wire)) {
      out[name] = memberShape.type === 'list' ? query.getAll(wire) : scalar(memberShape, query.get(wire) ?? undefined);
    }
  }
  return out;
}

const uriPatterns = new Map<string, { re: RegExp; names: string[] }>();
/** The URI labels of a rest operation's `requestUri` (`/clusters/{name}`, `/tags/{resourceArn+}`), when the path matches. */
function uriLabels(requestUri: string, path: string): Record<string, string> | undefined {
  let compiled = uriPatterns.get(requestUri);
  if (!compiled) {
    const names: string[] = [];
    const source = requestUri
      .split('?')[0]!
      .replace(/\/$/, '')
      .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
      .replace(/\{(\w+)(\+?)\}/g, (_, name: string, greedy: string) => {
        names.push(name);
        return greedy ? '(.+)' : '([^/]+)';
      });
    compiled = { re: new RegExp(`^${source}/?$`), names };
    uriPatterns.set(requestUri, compiled);
  }
  const match = compiled.re.exec(path);
  if (!match) return undefined;
  return Object.fromEntries(compiled.names.map((n, i) => [n, decodeURIComponent(match[i + 1]!)]));
}

const patterns = new Map<string, RegExp | null>();
/** AWS matches a model pattern against the whole value; a pattern JavaScript cannot read is not checked. */
function patternOf(pattern: string): RegExp | null {
  if (!patterns.has(pattern)) {
    let re: RegExp | null = null;
    for (const flags of ['u', '']) {
      try {
        re = new RegExp(`^(?:${pattern})$`, flags);
        break;
      } catch {
        // try without the unicode flag, then give up on this pattern
      }
    }
    patterns.set(pattern, re);
  }
  return patterns.get(pattern)!;
}

export interface Problem {
  /** The member's path, in AWS's message spelling: `roleName`, `tags.1.member.key`. */
  path: string;
  constraint: string;
  value?: unknown;
  missing?: boolean;
}

const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);

/** Every constraint of the model the value breaks. */
export function problemsOf(model: ServiceModel, shapeName: string, value: unknown, path = ''): Problem[] {
  const shape = model.shapes[shapeName]!;
  const out: Problem[] = [];
  const at = (p: string): string => (path ? `${path}.${p}` : p);
  if (shape.type === 'structure') {
    const v = (value ?? {}) as Record<string, unknown>;
    for (const name of shape.required ?? []) {
      if (v[name] === undefined)
        out.push({ path: at(lowerFirst(name)), constraint: 'Member must not be null', missing: true });
    }
    for (const [name, member] of Object.entries(shape.members ?? {})) {
      if (v[name] !== undefined) out.push(...problemsOf(model, member.shape, v[name], at(lowerFirst(name))));
    }
    return out;
  }
  const length =
    shape.type === 'string'
      ? [...String(value)].length
      : shape.type === 'list'
        ? (value as unknown[]).length
        : shape.type === 'map'
          ? Object.keys(value as object).length
          : undefined;
  if (length !== undefined) {
    if (shape.min !== undefined && length < shape.min)
      out.push({ path, value, constraint: `Member must have length greater than or equal to ${shape.min}` });
    if (shape.max !== undefined && length > shape.max)
      out.push({ path, value, constraint: `Member must have length less than or equal to ${shape.max}` });
  }
  if (shape.type === 'string') {
    if (shape.enum && !shape.enum.includes(String(value)))
      out.push({ path, value, constraint: `Member must satisfy enum value set: [${shape.enum.join(', ')}]` });
    const re = shape.pattern ? patternOf(shape.pattern) : null;
    if (re && !re.test(String(value)))
      out.push({ path, value, constraint: `Member must satisfy regular expression pattern: ${shape.pattern}` });
  }
  if (numeric.has(shape.type)) {
    const n = Number(value);
    if (shape.min !== undefined && n < shape.min)
      out.push({ path, value, constraint: `Member must have value greater than or equal to ${shape.min}` });
    if (shape.max !== undefined && n > shape.max)
      out.push({ path, value, constraint: `Member must have value less than or equal to ${shape.max}` });
  }
  if (shape.type === 'list')
    (value as unknown[]).forEach((item, i) =>
      out.push(...problemsOf(model, shape.member!.shape, item, `${path}.${i + 1}.member`)),
    );
  if (shape.type === 'map')
    for (const [k, item] of Object.entries(value as Record<string, unknown>))
      out.push(...problemsOf(model, shape.value!.shape, item, `${path}.${k}`));
  return out;
}

/** The request's operation and input as the model names them, or nothing when the model has no such operation. */
export function readInput(model: ServiceModel, call: AwsCall): { operation: string; input: unknown } | undefined {
  const protocol = model.metadata.protocol;
  if (protocol === 'query' || protocol === 'ec2') {
    const params = new URLSearchParams(call.query);
    for (const [k, v] of new URLSearchParams(call.body.toString())) params.append(k, v);
    const op = model.operations[call.operation];
    if (!op) return undefined;
    if (!op.input) return { operation: call.operation, input: {} };
    return { operation: call.operation, input: fromQuery(model, op.input, '', params, protocol === 'ec2') };
  }
  // rest-xml and rest-json: the operation is the one whose method and URI match, the gateway's own reading first.
  const named = model.operations[call.operation];
  const candidates = named ? [[call.operation, named] as const] : [];
  for (const [operation, op] of [...candidates, ...Object.entries(model.operations)]) {
    if (op.http?.method !== call.method) continue;
    const labels = uriLabels(op.http.requestUri, call.path);
    if (!labels) continue;
    if (!op.input) return { operation, input: {} };
    const shape = model.shapes[op.input.shape]!;
    const text = call.body.toString();
    let body: Record<string, unknown> = {};
    if (text.trim()) {
      if (protocol === 'rest-xml') {
        const doc = parseXML(text) as Record<string, unknown>;
        body = (fromXml(model, op.input, Object.values(doc)[0]) ?? {}) as Record<string, unknown>;
      } else body = readJsonBody(shape, JSON.parse(text) as Record<string, unknown>);
    }
    return { operation, input: { ...body, ...fromHttp(model, shape, labels, call.query) } };
  }
  return undefined;
}

/** rest-json bodies name members by their locationName when they have one. */
function readJsonBody(shape: Shape, json: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(shape.members ?? {})) {
    if (member.location) continue;
    const value = json[member.locationName ?? name];
    if (value !== undefined && value !== null) out[name] = value;
  }
  return out;
}

const quoted = (p: Problem): string =>
  p.missing
    ? `Value null at '${p.path}' failed to satisfy constraint: ${p.constraint}`
    : `Value '${String(p.value)}' at '${p.path}' failed to satisfy constraint: ${p.constraint}`;

/** The refusal the service gives for these problems, in its own error code. */
export function refusal(service: string, problems: Problem[]): AwsErrorResponse {
  const message = `${problems.length} validation error${problems.length > 1 ? 's' : ''} detected: ${problems.map(quoted).join('; ')}`;
  if (service === 'ec2') {
    // EC2 API reference, "Common client error codes": MissingParameter, InvalidParameterValue.
    const missing = problems.find((p) => p.missing);
    return missing
      ? awsError('ec2', 'MissingParameter', `The request must contain the parameter ${capitalize(missing.path)}`, 400)
      : awsError('ec2', 'InvalidParameterValue', message, 400);
  }
  if (service === 'route53') return awsError('route53', 'InvalidInput', message, 400);
  if (service === 'eks') return awsError('eks', 'InvalidParameterException', message, 400);
  return awsError(service, 'ValidationError', message, 400);
}

export class RequestValidator {
  constructor(private readonly models: Map<string, ServiceModel>) {}

  /** The error AWS would answer this request with, or nothing when the request is valid (or unknown). */
  check(call: AwsCall): AwsErrorResponse | undefined {
    const model = this.models.get(call.service);
    if (!model) return undefined;
    const read = readInput(model, call);
    const inputShape = read && model.operations[read.operation]?.input?.shape;
    if (!inputShape) return undefined;
    const problems = problemsOf(model, inputShape, read.input);
    return problems.length > 0 ? refusal(call.service, problems) : undefined;
  }
}
