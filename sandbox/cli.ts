// `npm run sandbox -- up | down | status | reset [--profile fast|realistic] [--quiet]`
import { parseArgs } from 'node:util';
import { stateDir } from './config.js';
import { down, reset, status, up, type Profile } from './sandbox.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { profile: { type: 'string', default: 'fast' }, quiet: { type: 'boolean', default: false } },
});
const command = positionals[0] ?? 'status';

async function printStatus(): Promise<void> {
  const { parts, cloud } = await status();
  for (const p of parts) {
    console.log(
      `${p.running ? 'running' : 'stopped'}  ${p.name.padEnd(9)} ${p.address}  [${p.version}]${p.pid ? `  pid ${p.pid}` : ''}`,
    );
  }
  console.log(`state: ${stateDir}`);
  if (cloud) {
    const c = cloud as { profile: { name: string }; clusters: { name: string; state: string }[] };
    console.log(
      `latency profile: ${c.profile.name}; clusters: ${c.clusters.map((x) => `${x.name} (${x.state})`).join(', ') || 'none'}`,
    );
  }
}

try {
  if (command === 'up') {
    if (values.profile !== 'fast' && values.profile !== 'realistic') {
      throw new Error(`--profile must be fast or realistic, not ${values.profile}`);
    }
    await up({ profile: values.profile as Profile });
    if (!values.quiet) await printStatus();
  } else if (command === 'down') await down();
  else if (command === 'reset') await reset();
  else if (command === 'status') await printStatus();
  else throw new Error(`unknown command ${command}: use up, down, status or reset`);
} catch (err) {
  console.error(`sandbox ${command}: ${(err as Error).message}`);
  process.exit(1);
}
