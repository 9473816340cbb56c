// docker-compose.yml cannot run here (no Docker engine): check it against the Compose Specification's
// schema, and that it says what the sandbox and the lab say (versions, ports, search attributes).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { SearchAttributeType } from '@temporalio/common';
import { parse } from 'yaml';
import { labSearchAttributes } from '../../lab/search-attributes.js';
import { defaultPorts as ports, versions } from '../../sandbox/config.js';
import { daemons } from '../../sandbox/sandbox.js';
import { pinnedImage } from '../helpers/dockerfile-lint.js';

interface Service {
  image?: string;
  build?: string;
  ports?: string[];
  environment?: Record<string, string> | string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  network_mode?: string;
  entrypoint?: string[];
}

const root = new URL('../../', import.meta.url);
const composeText = readFileSync(new URL('docker-compose.yml', root), 'utf8');
const compose = parse(composeText) as { services: Record<string, Service> };
const service = (name: string): Service => {
  const found = compose.services[name];
  assert.ok(found, `docker-compose.yml has a ${name} service`);
  return found;
};

/** The Compose Specification's schema (compose-go's, vendored: test/fixtures/compose-spec/README.md). */
const validateCompose = (() => {
  const schema = JSON.parse(
    readFileSync(new URL('../fixtures/compose-spec/compose-spec.json', import.meta.url), 'utf8'),
  ) as object;
  // Not strict: the schema is upstream's, written for any validator, not to ajv's strict rules.
  return new Ajv2020({ allErrors: true, strict: false }).compile(schema);
})();

test('docker-compose.yml is valid under the Compose Specification schema', () => {
  assert.equal(validateCompose(compose), true, JSON.stringify(validateCompose.errors, null, 2));
});

test('the Compose schema refuses what Compose refuses (an unknown key, an unknown depends_on condition)', () => {
  const broken = parse(composeText) as { services: Record<string, Record<string, unknown>> };
  broken.services.moto!.restart_policy = 'always';
  broken.services.worker!.depends_on = { moto: { condition: 'service_ready' } };
  assert.equal(validateCompose(broken), false);
  const complaints = validateCompose.errors!.map((e) => `${e.instancePath} ${e.message}`);
  for (const expected of [
    '/services/moto must NOT have additional properties',
    '/services/worker/depends_on/moto/condition must be equal to one of the allowed values',
  ])
    assert.ok(complaints.includes(expected), complaints.join('\n'));
});

test("every image is pinned to a release: Temporal's self-hosting images, moto at the sandbox's version", () => {
  for (const [name, s] of Object.entries(compose.services)) {
    if (s.build) continue;
    assert.match(s.image ?? '', pinnedImage, `${name}: ${s.image}`);
  }
  const repositoryOf = (name: string): string => service(name).image!.split(':')[0]!;
  assert.equal(repositoryOf('postgresql'), 'postgres');
  assert.equal(repositoryOf('temporal'), 'temporalio/server');
  assert.equal(repositoryOf('temporal-ui'), 'temporalio/ui');
  assert.equal(service('moto').image, `motoserver/moto:${versions.moto}`);
  // admin-tools' schema files and CLI must be the server version's.
  const serverVersion = service('temporal').image!.split(':')[1]!;
  for (const tools of ['temporal-schema', 'temporal-setup'])
    assert.equal(service(tools).image, `temporalio/admin-tools:${serverVersion}`);
});

test("Temporal, its Web UI and moto listen on the sandbox's default ports, on 127.0.0.1 only", () => {
  assert.deepEqual(service('temporal').ports, [`127.0.0.1:${ports.temporal}:7233`]);
  assert.deepEqual(service('temporal-ui').ports, [`127.0.0.1:${ports.temporalUi}:8080`]);
  assert.deepEqual(service('moto').ports, [`127.0.0.1:${ports.moto}:5000`]);
  for (const [name, s] of Object.entries(compose.services))
    for (const port of s.ports ?? []) assert.match(port, /^127\.0\.0\.1:/, `${name} publishes ${port}`);
});

test('temporal-setup registers every lab search attribute, as the Keyword each is', () => {
  const env = service('temporal-setup').environment as Record<string, string>;
  assert.deepEqual(
    env.LAB_SEARCH_ATTRIBUTES!.split(' '),
    labSearchAttributes.map((key) => key.name),
  );
  for (const key of labSearchAttributes) assert.equal(key.type, SearchAttributeType.KEYWORD, key.name);
  const script = readFileSync(new URL('docker/temporal-setup.sh', root), 'utf8');
  assert.match(script, /search-attribute create --namespace "\$namespace" --name "\$1" --type Keyword/);
});

test("docker-compose's moto has the sandbox's moto environment (AWS managed policies loaded)", () => {
  const sandboxMoto = daemons('fast').find((d) => d.name === 'moto');
  assert.equal(sandboxMoto?.env?.MOTO_IAM_LOAD_MANAGED_POLICIES, 'true');
  assert.deepEqual(service('moto').environment, sandboxMoto.env);
});

test('each step waits for the one before: database, schema, server, namespace and search attributes, worker', () => {
  const waitsFor = (name: string): Record<string, string> =>
    Object.fromEntries(Object.entries(service(name).depends_on ?? {}).map(([dep, { condition }]) => [dep, condition]));
  assert.deepEqual(waitsFor('temporal-schema'), { postgresql: 'service_healthy' });
  assert.deepEqual(waitsFor('temporal'), { 'temporal-schema': 'service_completed_successfully' });
  assert.deepEqual(waitsFor('temporal-setup'), { temporal: 'service_healthy' });
  assert.deepEqual(waitsFor('temporal-ui'), { temporal: 'service_healthy' });
  assert.deepEqual(waitsFor('worker'), { 'temporal-setup': 'service_completed_successfully', moto: 'service_started' });
});

test("the worker is built from the repo's Dockerfile and reaches the host's sandbox and this Temporal", () => {
  const worker = service('worker');
  assert.equal(worker.build, '.');
  assert.ok(existsSync(new URL('Dockerfile', root)));
  assert.equal(worker.network_mode, 'host');
  assert.ok((worker.environment as string[]).includes(`TEMPORAL_ADDRESS=127.0.0.1:${ports.temporal}`));
});

test('every file docker-compose.yml mounts from the repo exists', () => {
  const mounted = Object.values(compose.services)
    .flatMap((s) => s.volumes ?? [])
    .map((volume) => volume.split(':')[0]!)
    .filter((source) => source.startsWith('./'));
  assert.ok(mounted.length >= 4, mounted.join(', '));
  for (const source of mounted) assert.ok(existsSync(new URL(source, root)), source);
});
