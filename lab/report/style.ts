// report.html's style sheet, inlined into the page so it opens from disk with nothing fetched.

export const css = `
:root { --fg: #1f2933; --muted: #616e7c; --line: #e4e7eb; }
* { box-sizing: border-box; }
body { margin: 0; background: #f5f7fa; color: var(--fg);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
h1 code { font-size: 20px; }
h2 { font-size: 17px; margin: 0 0 10px; }
h3 { font-size: 14px; margin: 16px 0 6px; color: var(--muted); }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin: 16px 0; }
p { margin: 6px 0; }
code { white-space: nowrap; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
.muted { color: var(--muted); }
.note { background: #f8f9fb; border-left: 3px solid #4c7fc0; padding: 6px 12px; }
.badge { padding: 1px 12px; border-radius: 999px; color: #fff; font-size: 14px; font-weight: 600; }
.error { white-space: pre-wrap; word-break: break-word; background: #fff5f5; border: 1px solid #ffc9c9;
  padding: 8px 12px; border-radius: 6px; font-size: 12px;
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.error-text { color: #c92a2a; white-space: pre-wrap; word-break: break-word; }
.ok { color: #2f9e44; font-weight: 600; }
.bad { color: #e03131; font-weight: 600; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 8px 0; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.legend { display: flex; gap: 16px; flex-wrap: wrap; font-size: 12px; color: var(--muted); margin: 8px 0; }
.legend i { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 6px;
  vertical-align: -2px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin: 10px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 6px 14px; min-width: 150px;
  color: var(--muted); font-size: 12px; }
.card b { display: block; font-size: 22px; color: var(--fg); font-variant-numeric: tabular-nums; }
.card.running b { color: #4c7fc0; }
.card.pending b { color: #e8590c; }
.card.reasons b { font-size: 15px; line-height: 1.9; }
.reason { display: block; }
details { margin-top: 8px; }
summary { cursor: pointer; color: var(--muted); }
svg { display: block; max-width: 100%; height: auto; margin: 6px 0; }
svg text { font-size: 12px; fill: var(--fg); }
svg text.muted { fill: var(--muted); }
svg text.small { font-size: 11px; }
svg text.strong { font-weight: 600; }
svg text.mono { font-size: 11px; }
svg text.figure { font-variant-numeric: tabular-nums; }
`;
