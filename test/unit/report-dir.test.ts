// Where a report cannot be written is found at validation, not after the lab.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { reportDirProblem } from '../../activities/report.js';

test('a report folder inside a file, or that is a file, is refused; a new folder under a writable one is not', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'netlab-report-dir-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  assert.match((await reportDirProblem('/etc/hostname')) ?? '', /\/etc\/hostname is a file, not a folder/);
  assert.match((await reportDirProblem('/proc/version/reports')) ?? '', /\/proc\/version is a file, not a folder/);
  assert.equal(await reportDirProblem(join(dir, 'new', 'reports')), undefined);
  assert.equal(await reportDirProblem(dir), undefined);
});
