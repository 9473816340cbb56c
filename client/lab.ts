// `npm run lab -- <command>`: operate labs that run or ran. The commands are declared in
// commands.ts; this file only runs the one the words name.
import { reachTemporal, runCli } from './cli.js';
import { labCommands } from './commands.js';

const argv = process.argv.slice(2);
// `npm run lab` alone lists the commands, as `npm run lab -- help` does.
process.exit(await runCli('lab', labCommands, argv.length > 0 ? argv : ['help'], reachTemporal));
