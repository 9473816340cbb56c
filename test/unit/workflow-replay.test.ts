// A held lab lives for hours, across worker deploys: the current workflow code must replay every
// history recorded with earlier code (test/fixtures/histories/<version>/, recorded by
// test/helpers/record-histories.ts) without a nondeterminism error. No server needed.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import proto from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('WARN') });

const root = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));
const histories = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) =>
    readdirSync(join(root, d.name))
      .filter((f) => f.endsWith('.json'))
      .map((f) => ({ workflowId: `${d.name}/${f.replace(/\.json$/, '')}`, path: join(root, d.name, f) })),
  );

test('every recorded lab history replays against the current workflow code', async () => {
  assert.ok(histories.length >= 5, `found ${histories.length} histories in ${root}`);
  const results = Worker.runReplayHistories(
    { workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)) },
    histories.map(({ workflowId, path }) => ({
      workflowId,
      history: proto.temporal.api.history.v1.History.fromObject(JSON.parse(readFileSync(path, 'utf8'))),
    })),
  );
  const failed: string[] = [];
  let replayed = 0;
  for await (const r of results) {
    replayed++;
    if (r.error) failed.push(`${r.workflowId}: ${(r.error as Error).message}`);
  }
  assert.equal(replayed, histories.length);
  assert.deepEqual(failed, []);
});
