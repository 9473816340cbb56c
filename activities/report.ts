// Writes the lab's report where the worker runs: report.json (everything), report.md and report.html.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { reportDirOf } from '../lab/local.js';
import { renderHtml } from '../lab/report/html.js';
import { renderMarkdown } from '../lab/report/markdown.js';
import type { LabReport } from '../lab/report.js';

export async function writeReport(report: LabReport, dir?: string): Promise<{ dir: string; files: string[] }> {
  const out = resolve(dir ?? reportDirOf(report.labId));
  await mkdir(out, { recursive: true });
  const files = [join(out, 'report.json'), join(out, 'report.md'), join(out, 'report.html')];
  await writeFile(files[0]!, JSON.stringify(report, null, 2) + '\n');
  await writeFile(files[1]!, renderMarkdown(report));
  await writeFile(files[2]!, renderHtml(report));
  return { dir: out, files };
}
