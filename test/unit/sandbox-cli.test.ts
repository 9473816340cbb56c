// `npm run sandbox` answers --help and refuses unknown flags before it touches anything.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

const sandboxCli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'sandbox/cli.ts', ...args], { encoding: 'utf8', timeout: 60_000 });

test('sandbox --help prints the commands and exits 0; an unknown flag exits 2 with the usage', () => {
  const help = sandboxCli('--help');
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /up \| down \| status \| reset/);
  const bogus = sandboxCli('status', '--bogus');
  assert.equal(bogus.status, 2, bogus.stderr);
  assert.match(bogus.stderr, /Unknown option '--bogus'[\s\S]*up \| down \| status \| reset/);
});
