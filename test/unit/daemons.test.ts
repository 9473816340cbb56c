// startDaemon when two commands start the same daemon at once (two `start-lab`s, each finding no
// worker polling): one process starts, and both wait for it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

process.env.NETLAB_HOME = mkdtempSync(join(tmpdir(), 'netlab-daemons-'));
const { startDaemon, stopDaemon } = await import('../../sandbox/processes.js');

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

test('a daemon started twice at once runs once, and both starts wait for it', async () => {
  const port = await freePort();
  const starts = join(process.env.NETLAB_HOME!, 'starts');
  // Slow to listen, like a worker bundling its workflow code before it polls.
  const script = `require('fs').appendFileSync(${JSON.stringify(starts)}, process.pid + '\\n');
    setTimeout(() => require('net').createServer().listen(${port}, '127.0.0.1'), 1500);`;
  const daemon = { name: 'slow', command: process.execPath, args: ['-e', script], port };
  try {
    const first = startDaemon(daemon, 30_000);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(await Promise.all([first, startDaemon(daemon, 30_000)]), ['started', 'running']);
    assert.equal(readFileSync(starts, 'utf8').trim().split('\n').length, 1, 'one process started');
  } finally {
    await stopDaemon('slow', 5_000);
    rmSync(process.env.NETLAB_HOME!, { recursive: true, force: true });
  }
});
