// The sandbox's cloud daemon, started by the CLI with its own Node, runs on the pinned Node.js 24.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { endpoints } from '../../sandbox/config.js';

const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
};

test("the sandbox's cloud runs on the Node.js the project pins", async () => {
  const health = (await (await fetch(`${endpoints.gateway}/_netlab/health`)).json()) as { node: string };
  assert.equal(health.node, packageJson.dependencies.node);
});
