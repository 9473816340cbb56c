// `npm run lab -- <command>`: operate labs that run or ran. Each command lives in its own module;
// this file only dispatches.
import '../activities/aws-sdk-env.js';
import { controlCommands } from './control.js';
import { connectClient, type TemporalClient } from '../activities/temporal.js';
import { scheduleCommands } from './schedule.js';
import { trendCommands } from './trend.js';
import { sweepCommands } from './sweep.js';
import { exitCodes } from '../lab/signals.js';
import { UsageError } from './options.js';

export type Command = (args: string[], ctx: TemporalClient) => Promise<number>;
/** A command that reads only local files (trend) and so runs without Temporal. */
export type LocalCommand = (args: string[]) => Promise<number>;
export type CommandTable = Record<string, { usage: string; run: Command } | { usage: string; local: LocalCommand }>;

const commands: CommandTable = {
  ...controlCommands,
  ...scheduleCommands,
  ...trendCommands,
  ...sweepCommands,
};

const [name = 'help', ...args] = process.argv.slice(2);
const command = commands[name];
if (!command) {
  console.log(
    'npm run lab -- <command>\n' +
      Object.values(commands)
        .map((c) => `  ${c.usage}`)
        .join('\n'),
  );
  process.exit(name === 'help' ? 0 : 2);
}
let code = 1;
try {
  if ('local' in command) code = await command.local(args);
  else {
    const ctx = await connectClient();
    try {
      code = await command.run(args, ctx);
    } finally {
      await ctx.close();
    }
  }
} catch (err) {
  console.error(`lab ${name}: ${(err as Error).message}`);
  if (err instanceof UsageError) code = exitCodes.invalid;
}
process.exit(code);
