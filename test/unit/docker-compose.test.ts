// docker-compose.yml cannot run here (no Docker engine); check that it says what the sandbox says.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { labSearchAttributes } from '../../lab/search-attributes.js';
import { defaultPorts as ports, versions } from '../../sandbox/config.js';
import { daemons } from '../../sandbox/sandbox.js';

const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8')) as {
  services: Record<
    string,
    { image: string; command?: string[]; ports: string[]; environment?: Record<string, string> }
  >;
};

test('docker-compose runs the sandbox versions of Temporal and moto on the sandbox default ports', () => {
  const { temporal, moto } = compose.services;
  assert.equal(temporal?.image, `temporalio/temporal:${versions.temporalCli.replace(/^v/, '')}`);
  assert.equal(moto?.image, `motoserver/moto:${versions.moto}`);
  assert.ok(temporal.ports.includes(`127.0.0.1:${ports.temporal}:7233`));
  assert.ok(temporal.ports.includes(`127.0.0.1:${ports.temporalUi}:8233`));
  assert.ok(moto.ports.includes(`127.0.0.1:${ports.moto}:5000`));
  for (const key of labSearchAttributes)
    assert.ok(temporal.command?.includes(`--search-attribute=${key.name}=Keyword`));
});

test("docker-compose's moto has the sandbox's moto environment (AWS managed policies loaded)", () => {
  const sandboxMoto = daemons('fast').find((d) => d.name === 'moto');
  assert.equal(sandboxMoto?.env?.MOTO_IAM_LOAD_MANAGED_POLICIES, 'true');
  assert.deepEqual(compose.services.moto?.environment, sandboxMoto.env);
});
