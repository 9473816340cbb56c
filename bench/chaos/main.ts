// `npm run chaos [-- --scenario NAME[,NAME]] [--runs N] [--seed S] [--short] [--out FILE]`:
// faults thrown at labs on the sandbox; prints one table and writes chaos.json. Exits 0 only
// when every lab ended as expected with nothing left, nothing made twice and no secret found.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stateDir } from '../../sandbox/config.js';
import { clean, runChaos, scenarioNames } from './suite.js';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string' },
    runs: { type: 'string', default: '1' },
    seed: { type: 'string', default: '1' },
    short: { type: 'boolean', default: false },
    out: { type: 'string', default: join(stateDir, 'chaos', 'chaos.json') },
    help: { type: 'boolean', default: false },
  },
});
const whole = (flag: string, v: string): number => {
  if (!/^[1-9]\d{0,5}$/.test(v)) {
    console.error(`${flag}: must be a whole number from 1, not ${v}`);
    process.exit(2);
  }
  return Number(v);
};
if (values.help) {
  console.log(`npm run chaos -- [--scenario ${scenarioNames.join('|')}] [--runs N] [--seed S] [--short] [--out FILE]`);
  process.exit(0);
}
const result = await runChaos({
  only: values.scenario?.split(',').map((s) => s.trim()),
  runs: whole('--runs', values.runs!),
  seed: whole('--seed', values.seed!),
  short: values.short,
  out: values.out!,
}).catch((err: Error) => {
  console.error(err.message);
  process.exit(2);
});
process.exit(clean(result) ? 0 : 1);
