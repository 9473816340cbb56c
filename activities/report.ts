// Writes the lab's report where the worker runs: report.json (everything), report.md and report.html.
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { reportDirOf } from '../lab/local.js';
import { renderHtml } from '../lab/report/html.js';
import { renderMarkdown } from '../lab/report/markdown.js';
import type { LabReport } from '../lab/report.js';

export async function writeReport(report: LabReport, dir?: string): Promise<{ dir: string; files: string[] }> {
  const out = resolve(dir ?? reportDirOf(report.labId));
  await mkdir(out, { recursive: true });
  const files = [join(out, 'report.json'), join(out, 'report.md'), join(out, 'report.html')];
  await writeWhole(files[0]!, JSON.stringify(report, null, 2) + '\n');
  await writeWhole(files[1]!, renderMarkdown(report));
  await writeWhole(files[2]!, renderHtml(report));
  return { dir: out, files };
}

/**
 * Written aside and renamed: two workers may write one lab's report at once (an attempt presumed
 * lost, retried on another), and `lab trend` may read it meanwhile; each sees a whole file.
 */
async function writeWhole(file: string, content: string): Promise<void> {
  const aside = `${file}.${randomUUID()}.tmp`;
  await writeFile(aside, content);
  await rename(aside, file);
}

/**
 * Why the report could not be written to `dir` on this worker, or undefined when it can: checked
 * at validation, so a lab does not spend an hour to lose its report at the end.
 */
export async function reportDirProblem(dir: string): Promise<string | undefined> {
  let existing = resolve(dir);
  while (!(await stat(existing).catch(() => undefined))) existing = dirname(existing);
  if (!(await stat(existing)).isDirectory()) return `${existing} is a file, not a folder: give a folder for the report`;
  const writable = await access(existing, constants.W_OK).then(
    () => true,
    () => false,
  );
  return writable ? undefined : `${existing} is not writable by the worker: give a folder it may write`;
}
