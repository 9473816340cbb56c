// Every command of `npm run lab`, by name; each module declares its own.
import type { Group } from './cli.js';
import { controlCommands } from './control.js';
import { scheduleCommands } from './schedule.js';
import { sweepCommands } from './sweep.js';
import { trendCommands } from './trend.js';

export const labCommands: Group = {
  about: 'operate labs that run or ran',
  commands: { ...controlCommands, ...scheduleCommands, ...trendCommands, ...sweepCommands },
};
