// Runs before `start-lab`, `sandbox` and `test`: on a fresh clone, installs the npm
// dependencies first (from the lockfile), so each of those is one command.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync(new URL('../node_modules/.package-lock.json', import.meta.url))) {
  console.log('eks-netlab: installing npm dependencies (first time only)…');
  const npm = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' });
  if (npm.status !== 0) process.exit(npm.status ?? 1);
}
