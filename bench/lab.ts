// `npm run bench [-- [runs] [--levels 1,10,20] [--find-limit] [--limit-step 5] [--out file]]`:
// whole labs on the sandbox, timed. Prints figures against issue 10's targets, asserts nothing:
// lone labs on the fast profile (`runs` of them, per phase) and one on the realistic profile
// (AWS's delays scaled down), each against the critical path of its delays; then labs at once at
// each level; history events per lab; each tool's first install. Writes them as JSON too.
import { parseArgs } from 'node:util';
import { startWorker } from '../test/helpers/lab.js';
import { gatewayAdmin } from '../test/helpers/sandbox.js';
import { up } from '../sandbox/sandbox.js';
import { againstTarget, row } from './format.js';
import { firstInstalls } from './installs.js';
import { concurrencyLevels, runLevel } from './levels.js';
import { loneLabs } from './lone.js';
import type { LabRecord } from './labs.js';
import { labReadiness, readinessTable, type ReadinessRow } from './readiness.js';
import { defaultResultsFile, writeResults } from './results.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    levels: { type: 'string', default: '1,10,20' },
    'find-limit': { type: 'boolean', default: false },
    'limit-step': { type: 'string', default: '5' },
    out: { type: 'string', default: defaultResultsFile },
  },
});
const count = (text: string, what: string): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be a whole number of at least 1, not ${text}`);
  return n;
};
const runs = count(positionals[0] ?? '3', 'runs');
const levels = values.levels.split(',').map((l) => count(l, '--levels'));
const limitStep = count(values['limit-step'], '--limit-step');
/** The target for a lab's workflow history. */
const historyTarget = 1_500;

const lagsOf = async (records: LabRecord[]): Promise<ReadinessRow[]> =>
  (await Promise.all(records.map((r) => labReadiness(r.labId)))).flat();

await up({ profile: 'fast', print: () => undefined });
const worker = await startWorker();
const print = (line: string): void => console.log(line);
try {
  const fast = await loneLabs(worker, 'fast', runs, print);
  const realistic = await loneLabs(worker, 'realistic', 1, print);
  // Of the lone labs' waits, before the load of the levels: how late each noticed what it waited for.
  const readiness = { fast: await lagsOf(fast.records), realistic: await lagsOf(realistic.records) };
  for (const [profile, rows] of Object.entries(readiness)) print(`\n${profile} profile, ${readinessTable(rows)}`);
  await gatewayAdmin('PUT', 'profile', { name: 'fast' });
  const concurrency = await concurrencyLevels(
    { levels, findLimit: values['find-limit'], limitStep },
    (labs) => runLevel(worker, labs, fast.wallMs, print),
    print,
  );
  const records = [...fast.records, ...realistic.records, ...concurrency.records];
  const events = records.map((r) => r.historyEvents);
  print('\nhistory events per lab, every lab above');
  print(row('history', events, 'ev'));
  print(`most in one lab  ${againstTarget(Math.max(...events), historyTarget, String(Math.max(...events)))}`);
  const installs = firstInstalls(print);
  const lone = [fast, realistic].map(({ records: _, ...figures }) => figures);
  const file = writeResults(
    values.out,
    { lone, readiness, levels: concurrency.levels, limit: concurrency.limit, installs },
    records,
  );
  print(`\nfigures and every lab's record: ${file}`);
} finally {
  await gatewayAdmin('PUT', 'profile', { name: 'fast' });
  await worker.stop();
}
process.exit(0);
