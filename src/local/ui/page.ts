/**
 * The inspector's page: a shell the browser code (web/, served under /static/) fills in, and
 * its style sheet. The page carries the token its POSTs must send back (see server.ts).
 */

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The page.
 * @param built - whether the browser code is there to load (it is once the package is built)
 */
export function pageHtml(token: string, title: string, built: boolean): string {
  const body = built
    ? `<div id="app"><p class="loading">Loading…</p></div>\n<script type="module" src="/static/main.js"></script>`
    : `<div id="app"><p class="problem">The UI's browser code is not built: run <code>npm run build</code> in statefun-ts.</p></div>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="statefun-token" content="${escapeHtml(token)}">
<title>${escapeHtml(title)} · statefun</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/style.css">
</head>
<body>
${body}
</body>
</html>
`;
}

/** The page's style: one sheet, no framework. */
export const PAGE_CSS = `
:root {
  --bg: #f6f7f9; --panel: #fff; --line: #dde1e7; --text: #1d2330; --muted: #687085; --accent: #2459d6;
  --accent-soft: #e8efff; --ok: #1d7a46; --bad: #b3261e; --warn: #8a5a00; --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--text); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
code, pre, .mono { font-family: var(--mono); font-size: 12.5px; }
pre { margin: 0; white-space: pre-wrap; word-break: break-word; }
a { color: var(--accent); text-decoration: none; cursor: pointer; }
a:hover { text-decoration: underline; }
button { font: inherit; border: 1px solid var(--line); background: var(--panel); border-radius: 6px; padding: 4px 12px; cursor: pointer; }
button:hover:not(:disabled) { border-color: var(--accent); color: var(--accent); }
button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
button.primary:hover:not(:disabled) { color: #fff; filter: brightness(1.1); }
button:disabled { opacity: .5; cursor: default; }
input, select, textarea { font: inherit; border: 1px solid var(--line); border-radius: 6px; padding: 4px 8px; background: #fff; color: var(--text); }
textarea { font-family: var(--mono); font-size: 12.5px; width: 100%; min-height: 90px; resize: vertical; }
.loading, .problem { padding: 24px; }
.problem { color: var(--bad); }
.muted { color: var(--muted); }
.error { color: var(--bad); }
.app { display: flex; flex-direction: column; height: 100vh; }
header { display: flex; align-items: center; gap: 18px; padding: 0 16px; height: 48px; background: #151a26; color: #e9ecf3; flex: none; }
header .brand { font-weight: 650; letter-spacing: .2px; }
header .brand small { font-weight: 400; color: #9aa3b8; margin-left: 6px; }
header nav { display: flex; gap: 2px; }
header nav a { color: #c5cbd8; padding: 6px 10px; border-radius: 6px; }
header nav a.active { background: #2a3246; color: #fff; }
header nav a:hover { text-decoration: none; background: #222a3b; }
header .badge { background: #b3261e; color: #fff; border-radius: 9px; padding: 0 6px; font-size: 11px; margin-left: 4px; }
header .status { margin-left: auto; display: flex; gap: 14px; color: #9aa3b8; font-size: 12.5px; }
header .dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: #2fbf71; margin-right: 6px; }
header .dot.off { background: #b3261e; }
header .dot.trace { background: #c7a13a; }
main { flex: 1; min-height: 0; display: flex; }
.view { flex: 1; min-width: 0; display: flex; }
.view[hidden] { display: none; }
.scroll { overflow: auto; }
.page { flex: 1; overflow: auto; padding: 16px 20px; }
.split { display: flex; flex: 1; min-width: 0; }
.split > .list-pane { width: 46%; min-width: 320px; max-width: 760px; display: flex; flex-direction: column; border-right: 1px solid var(--line); background: var(--panel); }
.split > .detail-pane { flex: 1; min-width: 0; overflow: auto; padding: 14px 18px; }
.toolbar { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; padding: 10px 12px; border-bottom: 1px solid var(--line); }
.toolbar .grow { flex: 1; min-width: 120px; }
.toolbar .count { color: var(--muted); font-size: 12.5px; margin-left: auto; }
.kinds { display: flex; flex-wrap: wrap; gap: 4px; padding: 0 12px 10px; border-bottom: 1px solid var(--line); }
.kinds label { font-size: 11.5px; border: 1px solid var(--line); border-radius: 10px; padding: 1px 8px; cursor: pointer; user-select: none; }
.kinds input { display: none; }
.kinds label.on { background: var(--accent-soft); border-color: #b9cbf5; }
.vlist { flex: 1; overflow-y: auto; position: relative; }
.vlist .spacer { position: relative; }
.row { height: 28px; display: flex; align-items: center; gap: 8px; padding: 0 12px; white-space: nowrap; overflow: hidden; border-bottom: 1px solid #f0f2f5; cursor: pointer; }
.vlist .row { position: absolute; left: 0; right: 0; }
.row:hover { background: #f5f8ff; }
.row.selected { background: var(--accent-soft); }
.row .time { color: var(--muted); font-family: var(--mono); font-size: 12px; flex: none; width: 92px; }
.row .kind { flex: none; width: 128px; font-size: 11.5px; }
.row .line { overflow: hidden; text-overflow: ellipsis; font-family: var(--mono); font-size: 12.5px; }
.row .addr { overflow: hidden; text-overflow: ellipsis; font-family: var(--mono); font-size: 12.5px; flex: 1; }
.row .nums { flex: none; color: var(--muted); font-size: 12px; }
.kind-tag { display: inline-block; border-radius: 4px; padding: 0 6px; background: #eef0f4; }
.k-deliver { background: #e6f0ff; } .k-message { background: #e8f6ee; } .k-state { background: #fdf3de; } .k-egress { background: #efe8fb; }
.k-delayed, .k-cancel { background: #e5f6f7; } .k-retry, .k-fault { background: #fde9d9; } .k-failure, .k-dead-letter { background: #fbe0de; color: var(--bad); }
h2 { font-size: 16px; margin: 4px 0 12px; }
h2 .mono { font-size: 15px; }
h4.topic { font-size: 13px; margin: 14px 0 4px; font-family: var(--mono); }
table.records { table-layout: fixed; }
table.records th.n { width: 64px; }
table.records th.key { width: 200px; }
h3 { font-size: 13px; font-weight: 600; color: var(--muted); margin: 18px 0 6px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; margin-bottom: 12px; }
.card .head { display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; margin-bottom: 6px; }
.card .head .title { font-weight: 600; font-family: var(--mono); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eef0f4; vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0; }
dl.fields dt { color: var(--muted); }
dl.fields dd { margin: 0; min-width: 0; }
.json { background: #f7f8fa; border: 1px solid #eceef2; border-radius: 6px; padding: 6px 8px; max-height: 360px; overflow: auto; }
.typename { color: var(--muted); font-family: var(--mono); font-size: 11.5px; }
.graph { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; overflow: auto; margin-bottom: 16px; }
.graph svg { display: block; }
.graph .node rect { fill: #fff; stroke: #9aa6bf; stroke-width: 1.2; rx: 7; }
.graph .node.function rect { fill: #f3f6ff; stroke: #6b86c9; }
.graph .node.ingress rect { fill: #eef8f1; stroke: #5ea77a; }
.graph .node.egress rect { fill: #f6f0ff; stroke: #9377c9; }
.graph .node text { font: 12.5px var(--mono); fill: var(--text); }
.graph .node { cursor: pointer; }
.graph .edge path { fill: none; stroke: #8190ad; stroke-width: 1.4; }
.graph .edge.delayed path { stroke-dasharray: 5 4; }
.graph .edge.egress path { stroke: #9377c9; }
.graph .edge.ingress path { stroke: #5ea77a; }
.graph .edge text { font: 11.5px system-ui, sans-serif; fill: #3a4256; paint-order: stroke; stroke: #fff; stroke-width: 4px; }
.graph .idle { font: 12px system-ui, sans-serif; fill: var(--muted); }
.form { display: grid; grid-template-columns: max-content minmax(260px, 560px); gap: 10px 14px; align-items: start; }
.form label { padding-top: 5px; color: var(--muted); }
.form .hint { color: var(--muted); font-size: 12.5px; margin-top: 3px; }
.notice { border-radius: 6px; padding: 8px 10px; margin: 10px 0; }
.notice.ok { background: #e8f6ee; color: var(--ok); }
.notice.bad { background: #fbe0de; color: var(--bad); }
.empty { color: var(--muted); padding: 18px 0; }
.pill { display: inline-block; border: 1px solid var(--line); border-radius: 10px; padding: 0 7px; font-size: 11.5px; color: var(--muted); }
.pill.warn { color: var(--warn); border-color: #e7cf97; }
.actions { display: flex; gap: 8px; margin-top: 8px; }
.effects { margin-top: 8px; }
.effects .eff { font-family: var(--mono); font-size: 12.5px; padding: 2px 0; }
`;
