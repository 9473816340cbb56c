// `npm test`: brings the sandbox up (installing it the first time), runs every test file with
// Node's test runner, and takes down again only what it started itself.
import { spawnSync } from 'node:child_process';
import { down, status, up } from '../sandbox/sandbox.js';

const wasRunning = (await status()).parts.every((p) => p.running);
await up({ profile: 'fast' });
const files = process.argv.slice(2);
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', ...(files.length ? files : ['test/**/*.test.ts'])],
  { stdio: 'inherit', env: { ...process.env, NODE_NO_WARNINGS: '1' } },
);
if (!wasRunning) await down();
process.exit(result.status ?? 1);
