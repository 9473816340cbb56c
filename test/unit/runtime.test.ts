// The lab runs on Node.js 24 from the `node` npm package (node_modules/.bin/node, first on the
// PATH npm scripts get), whatever Node bootstrapped it: so this fails when run by another Node.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
};
const pinned = packageJson.dependencies.node!;

test('the tests run on the Node.js 24 the project pins, from npm', () => {
  assert.match(pinned, /^24\.\d+\.\d+$/);
  assert.equal(process.versions.node, pinned);
});

test('engines asks for the pinned Node line', () => {
  assert.equal(packageJson.engines.node, `${pinned.split('.')[0]}.x`);
});
