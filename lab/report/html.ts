// report.html: the report's sections (sections.ts) as one self-contained page (inline CSS and
// inline SVG, nothing fetched), so it opens from disk anywhere. Pure string building: workflow
// code imports lab/, so no Node APIs.
import type { LabReport } from '../report.js';
import { outcomeColors, statusColors } from './chart-kit.js';
import { charts } from './charts.js';
import { h, Html, type Slot } from './markup.js';
import { reportView, type Block, type Cell, type Figures, type Span, type Table } from './sections.js';
import { css } from './style.js';

const spans = (line: Span[]): Html[] =>
  line.map((s) =>
    typeof s !== 'object'
      ? h`${s}`
      : 'strong' in s
        ? h`<b>${s.strong}</b>`
        : 'link' in s
          ? h`<a href="${s.link}">${s.text}</a>`
          : h`<code>${s.code}</code>`,
  );

function cell(c: Cell): Slot {
  if (typeof c !== 'object') return c;
  if (c.status) return h`<span style="color:${statusColors[c.status]}">${c.text}</span>`;
  if (c.detail) return h`<b>${c.text}</b> <span class="muted">${c.detail}</span>`;
  if (c.tone === 'error') return h`<span class="error-text">${c.text}</span>`;
  if (c.tone) return h`<span class="${c.tone}">${c.text}</span>`;
  return c.text;
}

function table(t: Table): Html {
  const cls = (i: number): Html => new Html(t.columns[i]?.numeric ? ' class="num"' : '');
  const th = t.columns.map((c, i) => h`<th${cls(i)}>${c.title}</th>`);
  const tr = t.rows.map((r) => h`<tr>${r.map((c, i) => h`<td${cls(i)}>${cell(c)}</td>`)}</tr>`);
  const body = h`<table><thead><tr>${th}</tr></thead><tbody>${tr}</tbody></table>`;
  if (t.folded) return h`<details><summary>${t.title}</summary>${body}</details>`;
  return t.title ? h`<h3>${t.title}</h3>${body}` : body;
}

function figures(f: Figures): Html {
  const card = ({ label, value, tone }: Figures['items'][number]): Html => {
    const shown = Array.isArray(value) ? value.map((v) => h`<span class="reason">${v}</span>`) : value;
    return h`<div class="card ${Array.isArray(value) ? 'reasons' : (tone ?? '')}"><b>${shown}</b>${label}</div>`;
  };
  return h`<div class="cards">${f.items.map(card)}</div>`;
}

function block(b: Block, r: LabReport): Slot {
  switch (b.kind) {
    case 'text':
      return b.tone ? h`<p class="${b.tone}">${spans(b.spans)}</p>` : h`<p>${spans(b.spans)}</p>`;
    case 'figures':
      return figures(b);
    case 'table':
      return table(b);
    case 'chart':
      return charts[b.name](r);
  }
}

/** The whole page; sections whose data the report lacks are left out. */
export function renderHtml(r: LabReport): string {
  const view = reportView(r);
  const badge = h`<span class="badge" style="background:${outcomeColors[view.outcome]}">${view.outcome}</span>`;
  const sections = view.sections.map(
    (s) => h`<section id="${s.id}"><h2>${s.title}</h2>${s.blocks.map((b) => block(b, r))}</section>\n`,
  );
  // The CSP keeps the page from loading or running anything, whatever a report string holds.
  return h`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>eks-netlab ${view.labId}: ${view.outcome}</title>
<style>${new Html(css)}</style>
</head>
<body>
<main>
<header>
<h1>eks-netlab lab <code>${view.labId}</code> ${badge}</h1>
<p class="muted">${spans(view.summary)}</p>
${view.error ? h`<pre class="error">${view.error}</pre>` : ''}
</header>
${sections}</main>
</body>
</html>
`.text;
}
