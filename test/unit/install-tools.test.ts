// The first install's two lanes: downloads one after another, builds one after another, each
// build after its own download, so one tool builds while the next downloads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { installTools, type Tool } from '../../sandbox/tools.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function fakeTool(name: string, events: string[], ms: { download: number; build: number }): Tool {
  let done = false;
  return {
    name,
    version: 'v1',
    firstInstall: 'a moment',
    installed: () => done,
    fetch: async () => {
      events.push(`${name} download start`);
      await sleep(ms.download);
      events.push(`${name} download end`);
    },
    install: async () => {
      events.push(`${name} build start`);
      await sleep(ms.build);
      events.push(`${name} build end`);
      done = true;
    },
  };
}

test('the next tool downloads while one builds; builds wait for their download and for each other', async () => {
  const events: string[] = [];
  const printed: string[] = [];
  const a = fakeTool('a', events, { download: 100, build: 1000 });
  const b = fakeTool('b', events, { download: 100, build: 100 });
  const c = fakeTool('c', events, { download: 2000, build: 100 });
  await installTools((line) => printed.push(line), [a, b, c]);
  assert.deepEqual(events, [
    'a download start',
    'a download end',
    'a build start',
    'b download start',
    'b download end',
    'c download start',
    'a build end',
    'b build start',
    'b build end',
    'c download end',
    'c build start',
    'c build end',
  ]);
  assert.ok([a, b, c].every((t) => t.installed()));
  assert.equal(printed.filter((l) => /done in \d+ s \(download \d+ s, build \d+ s\)/.test(l)).length, 3);
  assert.match(printed.at(-1)!, /3 tool\(s\) installed in \d+ s/);
});

test('a failed download fails the install with its error, at the build that needs it', async () => {
  const events: string[] = [];
  const broken: Tool = {
    ...fakeTool('broken', events, { download: 0, build: 0 }),
    fetch: () => Promise.reject(new Error('proxy said 404')),
  };
  await assert.rejects(
    installTools(() => undefined, [broken]),
    /proxy said 404/,
  );
  assert.deepEqual(events, []);
});
