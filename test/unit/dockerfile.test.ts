// The worker's Dockerfile cannot be built here (no Docker engine): lint it with the rules in
// test/helpers/dockerfile-lint.ts, and check that it runs what the project says (Node 24, the
// sandbox's Helm, `npm run worker`) and that .dockerignore keeps the host's files out.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { versions } from '../../sandbox/config.js';
import { lintDockerfile, parseDockerfile } from '../helpers/dockerfile-lint.js';

const root = new URL('../../', import.meta.url);
const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
const instructions = parseDockerfile(dockerfile);
const packageJson = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
};

test('the Dockerfile keeps the lint rules', () => {
  assert.deepEqual(lintDockerfile(dockerfile), []);
});

test('the lint rules catch a floating base image, root, npm install, a shell-form command and a missing stage', () => {
  const careless = [
    'FROM node:latest',
    'FROM node:24',
    'WORKDIR /app',
    'COPY --from=build /out/helm /usr/local/bin/helm',
    'RUN npm install \\',
    '    --omit=dev',
    'USER root',
    'CMD npm run worker',
  ].join('\n');
  assert.deepEqual(lintDockerfile(careless), [
    'FROM node:latest: not pinned to a release or digest',
    'FROM node:24: not pinned to a release or digest',
    'COPY --from=build: no earlier stage by that name',
    "RUN npm install --omit=dev: npm install instead of npm ci (the lockfile's versions)",
    'CMD npm run worker: shell form (a shell as PID 1 does not pass signals on)',
    'no RUN npm ci',
    'the image runs as root',
  ]);
});

test('the worker image runs `npm run worker` on the Node.js the project pins, as the node user', () => {
  const bases = instructions.filter((i) => i.keyword === 'FROM').map((i) => i.args.split(/\s+/)[0]!);
  assert.equal(bases.at(-1), `node:${packageJson.dependencies.node}-bookworm-slim`);
  assert.equal(instructions.filter((i) => i.keyword === 'USER').at(-1)?.args, 'node');
  assert.equal(instructions.filter((i) => i.keyword === 'CMD').at(-1)?.args, '["npm", "run", "worker"]');
  assert.ok(packageJson.scripts.worker, 'package.json has a worker script');
});

test("the image's Helm is the version the sandbox pins", () => {
  const helmVersions = instructions
    .filter((i) => i.keyword === 'ARG' && i.args.startsWith('HELM_VERSION='))
    .map((i) => i.args.split('=')[1]);
  assert.ok(helmVersions.length > 0, 'ARG HELM_VERSION');
  for (const version of helmVersions) assert.equal(version, versions.helm);
});

test(".dockerignore keeps the host's packages, state and git history out of the build context", () => {
  const ignored = readFileSync(new URL('.dockerignore', root), 'utf8')
    .split('\n')
    .filter((line) => line && !line.startsWith('#'));
  for (const path of ['node_modules', '.netlab', '.git']) assert.ok(ignored.includes(path), path);
  // What the worker runs must stay in: its code, the sandbox configuration and charts it reads.
  for (const path of ['worker', 'workflows', 'activities', 'lab', 'sandbox', 'package.json'])
    assert.ok(!ignored.includes(path), path);
});
