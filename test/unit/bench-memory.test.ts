// The bench's memory figures from /proc: a program with a pid file counts with its children,
// and a pid file whose process has ended counts for nothing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { programsRssBytes } from '../../bench/memory.js';

const rssBytes = (pid: number): number =>
  Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;

test('a program counts its own RSS and its children’s; an ended one counts nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pids-'));
  // A shell whose child (sleep) has no pid file of its own.
  const shell = spawn('sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore', detached: true });
  t.after(() => process.kill(-shell.pid!, 'SIGKILL'));
  writeFileSync(join(dir, 'moto.pid'), String(shell.pid));
  writeFileSync(join(dir, 'etcd.pid'), '999999999');
  await new Promise((r) => setTimeout(r, 300));
  const bytes = programsRssBytes([dir]);
  assert.deepEqual(Object.keys(bytes), ['moto']);
  assert.ok(bytes.moto! > rssBytes(shell.pid!), `moto ${bytes.moto} counts only the shell`);
});
