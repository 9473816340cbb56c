import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderHtml } from '../../lab/report/html.js';
import { renderMarkdown } from '../../lab/report/markdown.js';
import type { LabReport } from '../../lab/report.js';

const fixture = (): LabReport =>
  JSON.parse(readFileSync(new URL('../fixtures/report.json', import.meta.url), 'utf8')) as LabReport;

/** The tables of a markdown page as GitHub reads them: runs of lines starting with `|`, cells split on unescaped `|`. */
function tables(page: string): string[][][] {
  const found: string[][][] = [];
  let current: string[][] | undefined;
  for (const line of page.split('\n')) {
    if (!line.startsWith('|')) {
      current = undefined;
      continue;
    }
    if (!current) found.push((current = []));
    current.push(
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    );
  }
  return found;
}

const tableHeaded = (page: string, ...head: string[]): string[][] => {
  const t = tables(page).find((rows) => rows[0]?.join('|') === head.join('|'));
  assert.ok(t, `a table headed ${head.join(', ')}`);
  return t;
};

test('a multi-line error with | stays in its cell', () => {
  const r = fixture();
  const error = 'CREATE_FAILED | AWS::EKS::Cluster\nreason: quota | limit\r\nsee the stack events';
  r.phases[1] = { ...r.phases[1]!, status: 'failed', error };
  r.teardown![0] = { ...r.teardown![0]!, ok: false, error };
  r.error = error;
  const page = renderMarkdown(r);

  const phases = tableHeaded(page, 'phase', 'status', 'duration', 'error');
  assert.equal(phases.length, 2 + r.phases.length, 'one row per phase after the head and the rule');
  for (const row of phases) assert.equal(row.length, 4, row.join(' / '));
  const escaped = 'CREATE_FAILED \\| AWS::EKS::Cluster<br>reason: quota \\| limit<br>see the stack events';
  assert.deepEqual(phases[3], [
    'deploy — deploy network stack, cluster, node group and add-ons',
    'failed',
    '24.8 s',
    escaped,
  ]);

  const teardown = tableHeaded(page, 'step', 'ok', 'error');
  assert.equal(teardown.length, 2 + r.teardown!.length);
  assert.deepEqual(teardown[2], ['delete ingress test', 'no', escaped]);

  // The lab's own error is shown as written, in a block no line of it can close.
  assert.ok(page.includes(`\`\`\`\n${error}\n\`\`\``));
});

test('every table of the report keeps its columns in every row', () => {
  const r = fixture();
  r.nlb!.perPod = { 'pod|with|pipes': 60, 'pod\nsplit': 40 };
  const page = renderMarkdown(r);
  const all = tables(page);
  assert.ok(all.length >= 12, `${all.length} tables`);
  for (const t of all) for (const row of t) assert.equal(row.length, t[0]!.length, row.join(' / '));
  assert.deepEqual(tableHeaded(page, 'pod', 'requests', 'share').slice(2), [
    ['pod\\|with\\|pipes', '60', '60%'],
    ['pod<br>split', '40', '40%'],
  ]);
});

test('the report links to its workflow in the Web UI, in report.md and report.html', () => {
  const url = 'http://127.0.0.1:8233/namespaces/default/workflows/lab-1/0190-run/history';
  const report = { ...fixture(), workflowUrl: url };
  assert.ok(renderMarkdown(report).includes(`[its workflow in the Temporal Web UI](<${url}>)`));
  assert.ok(renderHtml(report).includes(`<a href="${url}">its workflow in the Temporal Web UI</a>`));
  assert.ok(!renderMarkdown(fixture()).includes('Temporal Web UI'), 'no link when the report has none');
});
