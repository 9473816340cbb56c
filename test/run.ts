// `npm test`: brings the sandbox up (installing it the first time), runs every test file with
// Node's test runner, and takes down again only what it started itself.
import '../activities/aws-sdk-env.js';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { down, status, up } from '../sandbox/sandbox.js';

/** Node 20's test runner takes no globs: list test/**\/*.test.ts ourselves, unit tests first. */
function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

const files = process.argv.slice(2);
const wasRunning = (await status()).parts.every((p) => p.running);
await up({ profile: 'fast' });
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=1',
    ...(files.length ? files : [...testFiles('test/unit'), ...testFiles('test/sandbox'), ...testFiles('test/lab')]),
  ],
  { stdio: 'inherit', env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } },
);
if (!wasRunning) await down();
process.exit(result.status ?? 1);
