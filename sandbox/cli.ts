// `npm run sandbox -- up | down | status | reset [--profile fast|realistic] [--quiet]`
import { parseArgs } from 'node:util';
import { stateDir } from './config.js';
import { down, ProfileInUse, reset, status, up, type Profile } from './sandbox.js';

const usage = `npm run sandbox -- up | down | status | reset [--profile fast|realistic] [--quiet]
  up      start Temporal, moto, the AWS gateway and DNS (installing the tools the first time);
          --profile switches a running sandbox while no cluster is up, and without it a running
          sandbox keeps its profile (a new one starts on fast)
  down    stop them; the clusters' control planes go too
  status  what runs, where, and the latency profile (the default command)
  reset   stop and delete all sandbox state`;

const options = {
  profile: { type: 'string' },
  quiet: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function parse(): ReturnType<typeof parseArgs<{ allowPositionals: true; options: typeof options }>> {
  try {
    return parseArgs({ allowPositionals: true, options });
  } catch (err) {
    console.error(`sandbox: ${(err as Error).message}\n${usage}`);
    process.exit(2);
  }
}
const { positionals, values } = parse();
if (values.help) {
  console.log(usage);
  process.exit(0);
}
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
    if (values.profile !== undefined && values.profile !== 'fast' && values.profile !== 'realistic') {
      throw new Error(`--profile must be fast or realistic, not ${values.profile}`);
    }
    await up({ profile: values.profile as Profile | undefined });
    if (!values.quiet) await printStatus();
  } else if (command === 'down') await down();
  else if (command === 'reset') await reset();
  else if (command === 'status') await printStatus();
  else throw new Error(`unknown command ${command}: use up, down, status or reset`);
} catch (err) {
  console.error(`sandbox ${command}: ${err instanceof ProfileInUse ? '--profile: ' : ''}${(err as Error).message}`);
  process.exit(err instanceof ProfileInUse ? 2 : 1);
}
