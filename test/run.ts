// `npm test`: brings the sandbox up (installing it the first time), runs every test file with
// Node's test runner, and takes down again only what it started itself.
import { spawn } from 'node:child_process';
import { globSync } from 'node:fs';
import { down, status, up } from '../sandbox/sandbox.js';
import { installTools, temporalTool } from '../sandbox/tools.js';

const testFiles = (dir: string): string[] => globSync(`${dir}/**/*.test.ts`);

/** Runs test files one at a time in a child test runner; resolves with its exit code. */
function runTests(files: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], {
      stdio: 'inherit',
    });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}

const files = process.argv.slice(2);
const wasRunning = (await status()).parts.every((p) => p.running);
let failed: boolean;
if (files.length) {
  await up({ profile: 'fast' });
  failed = (await runTests(files)) !== 0;
} else {
  // Unit tests need no sandbox, so they run while it installs and starts; only the Temporal
  // CLI, whose dev server two of them start, comes first. The chaos suite's short run goes last.
  await installTools(console.log, [temporalTool]);
  const [unit] = await Promise.all([runTests(testFiles('test/unit')), up({ profile: 'fast' })]);
  // A runner of its own for the chaos suite: Node 24's runner orders the files it is given by
  // name, which would put test/chaos first.
  const rest = await runTests([...testFiles('test/sandbox'), ...testFiles('test/lab')]);
  const chaos = await runTests(testFiles('test/chaos'));
  failed = unit !== 0 || rest !== 0 || chaos !== 0;
}
if (!wasRunning) await down();
process.exit(failed ? 1 : 0);
