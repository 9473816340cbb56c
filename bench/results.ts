// The bench's figures as JSON, as kube-burner keeps them: every lab's record, and quantiles of
// the labs that ran alike (profile, how many at once).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { stateDir } from '../lab/local.js';
import { quantiles } from '../lab/report.js';
import type { LabRecord } from './labs.js';

export const defaultResultsFile = join(stateDir, 'bench', 'bench.json');

function alike(records: LabRecord[]): Map<string, LabRecord[]> {
  const groups = new Map<string, LabRecord[]>();
  for (const r of records) {
    const group = `${r.profile}, ${r.atOnce} at once`;
    groups.set(group, [...(groups.get(group) ?? []), r]);
  }
  return groups;
}

/** Writes the figures with the per-lab records and their quantiles; returns the file's path. */
export function writeResults(file: string, figures: Record<string, unknown>, records: LabRecord[]): string {
  mkdirSync(dirname(file), { recursive: true });
  const document = {
    finishedAt: new Date().toISOString(),
    machine: { cpus: cpus().length },
    ...figures,
    quantiles: Object.fromEntries(
      [...alike(records)].map(([group, labs]) => [
        group,
        { wallMs: quantiles(labs.map((r) => r.wallMs)), historyEvents: quantiles(labs.map((r) => r.historyEvents)) },
      ]),
    ),
    labs: records,
  };
  writeFileSync(file, JSON.stringify(document, null, 2));
  return file;
}
