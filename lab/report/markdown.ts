// report.md: the report's sections (sections.ts) as headings, lines and tables a person reads.
import type { LabReport } from '../report.js';
import { phasesSection, reportView, type Block, type Cell, type Span, type Table } from './sections.js';

/**
 * A table cell's text: `|` escaped and line breaks made <br>, so no report string (a multi-line
 * error, say) can end a row or add a column.
 */
export const markdownCell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\r\n|\r|\n/g, '<br>');

const line = (spans: Span[]): string =>
  spans
    .map((s) =>
      typeof s !== 'object'
        ? String(s)
        : 'strong' in s
          ? `**${s.strong}**`
          : 'link' in s
            ? `[${s.text}](<${s.link}>)`
            : `\`${s.code}\``,
    )
    .join('');

function cell(c: Cell): string {
  if (typeof c !== 'object') return markdownCell(String(c ?? ''));
  return markdownCell(c.detail ? `${c.text} — ${c.detail}` : String(c.text));
}

function table(t: Table): string[] {
  const row = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [
    ...(t.title ? [`### ${t.title}`, ''] : []),
    row(t.columns.map((c) => markdownCell(c.title))),
    row(t.columns.map((c) => (c.numeric ? '---:' : '---'))),
    ...t.rows.map((r) => row(r.map(cell))),
  ];
}

/** A fenced block longer than any run of backticks in the text, so the text cannot close it. */
function fenced(text: string): string[] {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [fence, text, fence];
}

function block(b: Block): string[] {
  switch (b.kind) {
    case 'text':
      return ['', line(b.spans)];
    case 'figures':
      return ['', ...b.items.map((f) => `- ${f.label}: **${Array.isArray(f.value) ? f.value.join(', ') : f.value}**`)];
    case 'table':
      return ['', ...table(b)];
    case 'chart':
      return [];
  }
}

export function renderMarkdown(r: LabReport): string {
  const view = reportView(r);
  const out = [
    `# eks-netlab lab ${view.labId}`,
    '',
    line(['Outcome ', { strong: view.outcome }, '. ', ...view.summary]),
  ];
  if (view.error) out.push('', 'Error:', '', ...fenced(view.error));
  for (const s of view.sections) out.push('', `## ${s.title}`, ...s.blocks.flatMap(block));
  return out.join('\n') + '\n';
}

/**
 * A lab's current details in the Web UI (Temporal's markdown), kept up to date by its workflow:
 * the outcome so far, what it waits on now, and the phase table.
 */
export function renderCurrentDetails(r: LabReport, waitingOn: string[]): string {
  return [
    line(['Lab ', { strong: r.labId }, ' on ', r.target, ', ', r.region, ': ', { strong: r.outcome }]),
    '',
    `Waiting on: ${waitingOn.length ? waitingOn.map(markdownCell).join(' · ') : 'nothing'}`,
    ...phasesSection(r).blocks.flatMap(block),
  ].join('\n');
}
