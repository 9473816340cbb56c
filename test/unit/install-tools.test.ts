// The first install's two lanes: downloads one after another, builds one after another, each
// build after its own download, so one tool builds while the next downloads.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { installTimeOf, installTools, type Tool } from '../../sandbox/tools.js';

/** A times file of the test's own: the real one, in the tool cache, keeps the machine's real installs. */
const timesFile = (): string => join(mkdtempSync(join(tmpdir(), 'install-times-')), 'install-times.json');
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
  await installTools((line) => printed.push(line), [a, b, c], timesFile());
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
    installTools(() => undefined, [broken], timesFile()),
    /proxy said 404/,
  );
  assert.deepEqual(events, []);
});

test('each fresh install records its times by tool and version; a tool already installed keeps its record', async () => {
  const file = timesFile();
  const tool = fakeTool('a', [], { download: 50, build: 200 });
  assert.equal(installTimeOf(tool, file), undefined);
  await installTools(() => undefined, [tool], file);
  const time = installTimeOf(tool, file)!;
  assert.ok(time.downloadMs >= 40 && time.buildMs >= 190, JSON.stringify(time));
  assert.ok(time.totalMs >= time.buildMs);
  await installTools(() => undefined, [tool], file);
  assert.deepEqual(installTimeOf(tool, file), time);
  assert.equal(installTimeOf({ ...tool, version: 'v2' }, file), undefined);
});

test("a tool's report lines print at once, under its heading", async () => {
  const printed: string[] = [];
  const tool: Tool = {
    ...fakeTool('a', [], { download: 0, build: 0 }),
    install: async (_log, report) => {
      report('kwok linked after 1 s (1 of 2)');
      await sleep(50);
      report('helm linked after 2 s (2 of 2)');
    },
  };
  await installTools((line) => printed.push(line), [tool], timesFile());
  assert.deepEqual(printed.slice(1, 4), [
    '[1/1] a v1 (first install: a moment)',
    '      kwok linked after 1 s (1 of 2)',
    '      helm linked after 2 s (2 of 2)',
  ]);
});
