// The gateway's request validation, one protocol at a time: requests serialized by the real AWS
// SDK clients (stopped before they are sent), read back against a model in botocore's format
// (members and constraints as AWS publishes them for these operations), refused as the service would.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateTagsCommand, DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateNodegroupCommand, EKSClient, ListClustersCommand } from '@aws-sdk/client-eks';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { ChangeResourceRecordSetsCommand, Route53Client, type RRType } from '@aws-sdk/client-route-53';
import { parseXML } from '@aws-sdk/xml-builder';
import { operationOf, type AwsCall } from '../../sandbox/cloud/protocol.js';
import { RequestValidator, type ServiceModel } from '../../sandbox/cloud/validation.js';

const string = { type: 'string' };
const models = new Map<string, ServiceModel>([
  [
    'iam',
    {
      metadata: { protocol: 'query' },
      operations: { CreateRole: { input: { shape: 'CreateRoleRequest' } } },
      shapes: {
        CreateRoleRequest: {
          type: 'structure',
          required: ['RoleName', 'AssumeRolePolicyDocument'],
          members: {
            RoleName: { shape: 'roleNameType' },
            AssumeRolePolicyDocument: { shape: 'policyDocumentType' },
            Tags: { shape: 'tagListType' },
          },
        },
        roleNameType: { type: 'string', min: 1, max: 64, pattern: '[\\w+=,.@-]+' },
        policyDocumentType: { type: 'string', min: 1, max: 131072 },
        tagListType: { type: 'list', member: { shape: 'Tag' }, max: 50 },
        Tag: {
          type: 'structure',
          required: ['Key', 'Value'],
          members: { Key: { shape: 'tagKeyType' }, Value: { shape: 'tagValueType' } },
        },
        tagKeyType: { type: 'string', min: 1, max: 128 },
        tagValueType: { type: 'string', min: 0, max: 256 },
      },
    },
  ],
  [
    'cloudformation',
    {
      metadata: { protocol: 'query' },
      operations: { CreateStack: { input: { shape: 'CreateStackInput' } } },
      shapes: {
        CreateStackInput: {
          type: 'structure',
          required: ['StackName'],
          members: { StackName: { shape: 'StackName' }, Capabilities: { shape: 'Capabilities' } },
        },
        StackName: string,
        Capabilities: { type: 'list', member: { shape: 'Capability' } },
        Capability: { type: 'string', enum: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'] },
      },
    },
  ],
  [
    'ec2',
    {
      metadata: { protocol: 'ec2' },
      operations: {
        CreateTags: { input: { shape: 'CreateTagsRequest' } },
        DescribeSubnets: { input: { shape: 'DescribeSubnetsRequest' } },
      },
      shapes: {
        CreateTagsRequest: {
          type: 'structure',
          required: ['Resources', 'Tags'],
          members: {
            Resources: { shape: 'ResourceIdList', locationName: 'ResourceId' },
            Tags: { shape: 'TagList', locationName: 'Tag' },
          },
        },
        ResourceIdList: { type: 'list', member: { shape: 'String' } },
        TagList: { type: 'list', member: { shape: 'Tag', locationName: 'item' } },
        Tag: {
          type: 'structure',
          members: { Key: { shape: 'String', locationName: 'key' }, Value: { shape: 'String', locationName: 'value' } },
        },
        DescribeSubnetsRequest: {
          type: 'structure',
          members: {
            Filters: { shape: 'FilterList', locationName: 'Filter' },
            MaxResults: { shape: 'DescribeSubnetsMaxResults' },
          },
        },
        FilterList: { type: 'list', member: { shape: 'Filter', locationName: 'Filter' } },
        Filter: {
          type: 'structure',
          members: { Name: { shape: 'String' }, Values: { shape: 'ValueStringList', locationName: 'Value' } },
        },
        ValueStringList: { type: 'list', member: { shape: 'String', locationName: 'item' } },
        DescribeSubnetsMaxResults: { type: 'integer', min: 5, max: 1000 },
        String: string,
      },
    },
  ],
  [
    'route53',
    {
      metadata: { protocol: 'rest-xml' },
      operations: {
        ChangeResourceRecordSets: {
          http: { method: 'POST', requestUri: '/2013-04-01/hostedzone/{Id}/rrset/' },
          input: { shape: 'ChangeResourceRecordSetsRequest' },
        },
      },
      shapes: {
        ChangeResourceRecordSetsRequest: {
          type: 'structure',
          required: ['HostedZoneId', 'ChangeBatch'],
          members: {
            HostedZoneId: { shape: 'ResourceId', location: 'uri', locationName: 'Id' },
            ChangeBatch: { shape: 'ChangeBatch' },
          },
        },
        ResourceId: { type: 'string', max: 32 },
        ChangeBatch: { type: 'structure', required: ['Changes'], members: { Changes: { shape: 'Changes' } } },
        Changes: { type: 'list', member: { shape: 'Change', locationName: 'Change' }, min: 1 },
        Change: {
          type: 'structure',
          required: ['Action', 'ResourceRecordSet'],
          members: { Action: { shape: 'ChangeAction' }, ResourceRecordSet: { shape: 'ResourceRecordSet' } },
        },
        ChangeAction: { type: 'string', enum: ['CREATE', 'DELETE', 'UPSERT'] },
        ResourceRecordSet: {
          type: 'structure',
          required: ['Name', 'Type'],
          members: {
            Name: { shape: 'DNSName' },
            Type: { shape: 'RRType' },
            TTL: { shape: 'TTL' },
            ResourceRecords: { shape: 'ResourceRecords' },
          },
        },
        DNSName: { type: 'string', max: 1024 },
        RRType: { type: 'string', enum: ['SOA', 'A', 'TXT', 'NS', 'CNAME'] },
        TTL: { type: 'long', min: 0, max: 2147483647 },
        ResourceRecords: { type: 'list', member: { shape: 'ResourceRecord', locationName: 'ResourceRecord' }, min: 1 },
        ResourceRecord: { type: 'structure', required: ['Value'], members: { Value: { shape: 'RData' } } },
        RData: { type: 'string', max: 4000 },
      },
    },
  ],
  [
    'eks',
    {
      metadata: { protocol: 'rest-json' },
      operations: {
        CreateNodegroup: {
          http: { method: 'POST', requestUri: '/clusters/{name}/node-groups' },
          input: { shape: 'CreateNodegroupRequest' },
        },
        ListClusters: { http: { method: 'GET', requestUri: '/clusters' }, input: { shape: 'ListClustersRequest' } },
      },
      shapes: {
        CreateNodegroupRequest: {
          type: 'structure',
          required: ['clusterName', 'nodegroupName', 'subnets', 'nodeRole'],
          members: {
            clusterName: { shape: 'String', location: 'uri', locationName: 'name' },
            nodegroupName: { shape: 'String' },
            scalingConfig: { shape: 'NodegroupScalingConfig' },
            subnets: { shape: 'StringList' },
            nodeRole: { shape: 'String' },
          },
        },
        NodegroupScalingConfig: {
          type: 'structure',
          members: { minSize: { shape: 'ZeroCapacity' }, desiredSize: { shape: 'ZeroCapacity' } },
        },
        ZeroCapacity: { type: 'integer', box: true, min: 0 } as ServiceModel['shapes'][string],
        StringList: { type: 'list', member: { shape: 'String' } },
        ListClustersRequest: {
          type: 'structure',
          members: {
            maxResults: { shape: 'ListClustersRequestMaxResults', location: 'querystring', locationName: 'maxResults' },
          },
        },
        ListClustersRequestMaxResults: { type: 'integer', min: 1, max: 100 },
        String: string,
      },
    },
  ],
]);
const validator = new RequestValidator(models);

const options = { region: 'ap-northeast-2', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' } };
const clients = {
  iam: () => new IAMClient(options),
  cloudformation: () => new CloudFormationClient(options),
  ec2: () => new EC2Client(options),
  route53: () => new Route53Client(options),
  eks: () => new EKSClient(options),
};

/** The HTTP request a fresh SDK client would send, stopped before it leaves, as the gateway sees it. */
async function serialized(service: keyof typeof clients, command: unknown): Promise<AwsCall> {
  // Each client's stack has its own overloads; this needs only these two calls.
  const client = clients[service]() as unknown as {
    middlewareStack: { add: (middleware: unknown, options: object) => void };
    send: (command: unknown) => Promise<unknown>;
  };
  let captured:
    | { method: string; path: string; query: Record<string, string>; body?: string; headers: Record<string, string> }
    | undefined;
  client.middlewareStack.add(
    () => (args: { request: typeof captured }) => {
      captured = args.request;
      throw new Error('not sent');
    },
    { step: 'finalizeRequest', priority: 'low' },
  );
  await client.send(command).catch(() => undefined);
  const req = captured!;
  const body = Buffer.from(req.body ?? '');
  const query = new URLSearchParams(req.query);
  const operation = operationOf(service, req.method, req.path, query, body, req.headers['x-amz-target']);
  return { service, operation, method: req.method, path: req.path, query, body };
}

const errorOf = (response: { body: string } | undefined): { code?: string; message?: string } => {
  assert.ok(response, 'the request is refused');
  if (response.body.startsWith('{')) return { message: (JSON.parse(response.body) as { message: string }).message };
  const doc = parseXML(response.body) as {
    ErrorResponse?: { Error: { Code: string; Message: string } };
    Response?: { Errors: { Error: { Code: string; Message: string } } };
  };
  const e = doc.ErrorResponse?.Error ?? doc.Response?.Errors.Error;
  return { code: e?.Code, message: e?.Message };
};

test('query protocol (IAM): a role name over 64 characters is a ValidationError naming the member and the limit', async () => {
  const long = 'r'.repeat(65);
  const tooLong = validator.check(
    await serialized('iam', new CreateRoleCommand({ RoleName: long, AssumeRolePolicyDocument: '{}' })),
  );
  assert.deepEqual(errorOf(tooLong), {
    code: 'ValidationError',
    message: `1 validation error detected: Value '${long}' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64`,
  });
  assert.equal(tooLong!.status, 400);
  const badTag = validator.check(
    await serialized(
      'iam',
      new CreateRoleCommand({ RoleName: 'ok', AssumeRolePolicyDocument: '{}', Tags: [{ Key: '', Value: 'v' }] }),
    ),
  );
  assert.match(
    errorOf(badTag).message!,
    /at 'tags\.1\.member\.key' failed to satisfy constraint: Member must have length greater than or equal to 1/,
  );
  const spaces = validator.check(
    await serialized('iam', new CreateRoleCommand({ RoleName: 'has space', AssumeRolePolicyDocument: '{}' })),
  );
  assert.match(errorOf(spaces).message!, /Member must satisfy regular expression pattern/);
  const valid = await serialized(
    'iam',
    new CreateRoleCommand({
      RoleName: 'lab-a-externalDns',
      AssumeRolePolicyDocument: '{}',
      Tags: [{ Key: 'k', Value: '' }],
    }),
  );
  assert.equal(validator.check(valid), undefined);
});

test('query protocol (CloudFormation): a value outside the enum is a ValidationError', async () => {
  const refused = validator.check(
    await serialized(
      'cloudformation',
      new CreateStackCommand({ StackName: 's', Capabilities: ['CAPABILITY_ROOT' as never] }),
    ),
  );
  assert.equal(errorOf(refused).code, 'ValidationError');
  assert.match(
    errorOf(refused).message!,
    /'capabilities\.1\.member' failed to satisfy constraint: Member must satisfy enum value set/,
  );
});

test('EC2 protocol: a missing required member is MissingParameter, a value out of range InvalidParameterValue', async () => {
  const missing = validator.check(await serialized('ec2', new CreateTagsCommand({ Resources: ['vpc-1'] } as never)));
  assert.deepEqual(errorOf(missing), {
    code: 'MissingParameter',
    message: 'The request must contain the parameter Tags',
  });
  const range = validator.check(
    await serialized(
      'ec2',
      new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: ['a', 'b'] }], MaxResults: 3 }),
    ),
  );
  assert.equal(errorOf(range).code, 'InvalidParameterValue');
  assert.match(errorOf(range).message!, /Value '3' at 'maxResults' .*greater than or equal to 5/);
  const valid = await serialized(
    'ec2',
    new CreateTagsCommand({ Resources: ['vpc-1'], Tags: [{ Key: 'k', Value: 'v' }] }),
  );
  assert.equal(validator.check(valid), undefined);
});

test('rest-xml protocol (Route53): an unknown record type, a negative TTL and a long zone id are InvalidInput', async () => {
  const change = (HostedZoneId: string, Type: RRType, TTL: number) =>
    new ChangeResourceRecordSetsCommand({
      HostedZoneId,
      ChangeBatch: {
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: { Name: 'a.lab.example.com', Type, TTL, ResourceRecords: [{ Value: '192.0.2.1' }] },
          },
        ],
      },
    });
  const refused = validator.check(await serialized('route53', change('Z'.repeat(33), 'BOGUS' as RRType, -1)));
  const { code, message } = errorOf(refused);
  assert.equal(code, 'InvalidInput');
  assert.match(message!, /^3 validation errors detected: /);
  assert.match(
    message!,
    /at 'hostedZoneId' failed to satisfy constraint: Member must have length less than or equal to 32/,
  );
  assert.match(
    message!,
    /at 'changeBatch\.changes\.1\.member\.resourceRecordSet\.type' .*enum value set: \[SOA, A, TXT, NS, CNAME\]/,
  );
  assert.match(message!, /Value '-1' at 'changeBatch\.changes\.1\.member\.resourceRecordSet\.tTL'/);
  assert.equal(validator.check(await serialized('route53', change('Z123', 'A', 300))), undefined);
});

test('rest-json protocol (EKS): a negative size and a page size out of range are InvalidParameterException', async () => {
  const negative = validator.check(
    await serialized(
      'eks',
      new CreateNodegroupCommand({
        clusterName: 'lab-a',
        nodegroupName: 'ng',
        nodeRole: 'arn:aws:iam::123456789012:role/node',
        subnets: ['subnet-1'],
        scalingConfig: { minSize: 0, desiredSize: -1 },
      }),
    ),
  );
  assert.equal(negative!.headers['x-amzn-errortype'], 'InvalidParameterException');
  assert.match(errorOf(negative).message!, /Value '-1' at 'scalingConfig\.desiredSize' .*greater than or equal to 0/);
  const page = validator.check(await serialized('eks', new ListClustersCommand({ maxResults: 1000 })));
  assert.match(errorOf(page).message!, /Value '1000' at 'maxResults' .*less than or equal to 100/);
  assert.equal(validator.check(await serialized('eks', new ListClustersCommand({ maxResults: 10 }))), undefined);
});
