/**
 * The traffic graph, drawn as SVG: the ingresses on the left, then the function types in
 * columns by how far they are from the ingresses (the longest path, a cycle broken where it
 * closes), the egresses on the right; each edge a curve with its count, messages solid,
 * delayed messages dashed, egress records in the egresses' colour. Function types and egresses
 * no traffic reached yet wait in rows below.
 */
import { s } from "./dom.js";
import type { GraphEdge, GraphNode } from "./protocol.js";

const NODE_W = 236;
const NODE_H = 34;
const COL_GAP = 90;
const ROW_GAP = 22;
const MARGIN = 24;
/** Room above the first row for a self-loop and its count. */
const TOP = 44;

interface Placed extends GraphNode {
  x: number;
  y: number;
  rank: number;
}

/** What an edge's count counts, for its tooltip. */
const COUNTED: Readonly<Record<GraphEdge["kind"], string>> = {
  ingress: "ingress messages delivered",
  message: "messages",
  delayed: "delayed messages",
  egress: "records",
};

/** Each node's column: ingresses 0, function types by longest path from a root, egresses last. */
function ranks(nodes: readonly GraphNode[], edges: readonly GraphEdge[]): Map<string, number> {
  const out = new Map<string, string[]>();
  for (const e of edges) if (e.from !== e.to) out.set(e.from, [...(out.get(e.from) ?? []), e.to]);
  const functions = nodes.filter((n) => n.kind === "function").map((n) => n.id);
  const incoming = new Set(edges.filter((e) => e.from !== e.to).map((e) => e.to));
  const rank = new Map<string, number>();
  // Depth-first from the ingresses, then from function types nothing reaches: an edge back to
  // a node on the current path closes a cycle and is left out of the ranking.
  const onPath = new Set<string>();
  const visit = (id: string, r: number): void => {
    if (onPath.has(id) || (rank.get(id) ?? -1) >= r) return;
    rank.set(id, r);
    onPath.add(id);
    for (const next of out.get(id) ?? []) if (!next.startsWith("egress:")) visit(next, r + 1);
    onPath.delete(id);
  };
  const hasIngress = nodes.some((n) => n.kind === "ingress");
  if (hasIngress) visit("ingress", 0);
  for (const id of functions) if (!rank.has(id) && !incoming.has(id)) visit(id, hasIngress ? 1 : 0);
  for (const id of functions) if (!rank.has(id)) visit(id, hasIngress ? 1 : 0);
  const last = Math.max(hasIngress ? 0 : -1, ...functions.map((id) => rank.get(id) ?? 0));
  for (const n of nodes) if (n.kind === "egress") rank.set(n.id, last + 1);
  return rank;
}

/**
 * The nodes traffic reached placed in their columns, each column ordered by where its
 * predecessors are (then by name); the others left to be placed below.
 */
function place(nodes: readonly GraphNode[], edges: readonly GraphEdge[]): { placed: Map<string, Placed>; idle: GraphNode[]; width: number; height: number } {
  const reached = new Set(edges.flatMap((e) => [e.from, e.to]));
  const idle = nodes.filter((n) => !reached.has(n.id)).sort((a, b) => Number(a.kind === "egress") - Number(b.kind === "egress") || a.label.localeCompare(b.label));
  const connected = nodes.filter((n) => reached.has(n.id));
  const rank = ranks(connected, edges);
  const columns = new Map<number, GraphNode[]>();
  for (const n of connected) {
    const r = rank.get(n.id) ?? 0;
    columns.set(r, [...(columns.get(r) ?? []), n]);
  }
  const placed = new Map<string, Placed>();
  let rows = 0;
  for (const r of [...columns.keys()].sort((a, b) => a - b)) {
    const column = columns.get(r) ?? [];
    const weight = (n: GraphNode): number => {
      const ys = edges.filter((e) => e.to === n.id && placed.has(e.from)).map((e) => (placed.get(e.from) as Placed).y);
      return ys.length === 0 ? Infinity : ys.reduce((a, b) => a + b, 0) / ys.length;
    };
    column
      .map((n) => ({ n, w: weight(n) }))
      .sort((a, b) => a.w - b.w || a.n.label.localeCompare(b.n.label))
      .forEach(({ n }, i) => placed.set(n.id, { ...n, rank: r, x: MARGIN + r * (NODE_W + COL_GAP), y: TOP + i * (NODE_H + ROW_GAP) }));
    rows = Math.max(rows, column.length);
  }
  const width = MARGIN * 2 + (Math.max(0, ...columns.keys()) + 1) * (NODE_W + COL_GAP) - COL_GAP;
  return { placed, idle, width: Math.max(width, MARGIN * 2 + 3 * (NODE_W + COL_GAP) - COL_GAP), height: rows === 0 ? 0 : TOP + rows * (NODE_H + ROW_GAP) };
}

/** The curve of an edge, the point its label sits at, and how low it goes. */
function route(a: Placed, b: Placed, below: number): { d: string; lx: number; ly: number; bottom: number } {
  if (a.id === b.id) {
    const x = a.x + NODE_W - 46;
    const d = `M ${x} ${a.y} C ${x} ${a.y - 34}, ${a.x + NODE_W + 30} ${a.y - 22}, ${a.x + NODE_W} ${a.y + NODE_H / 2}`;
    return { d, lx: a.x + NODE_W + 4, ly: a.y - 16, bottom: a.y + NODE_H };
  }
  if (b.rank > a.rank) {
    const x1 = a.x + NODE_W;
    const y1 = a.y + NODE_H / 2;
    const x2 = b.x;
    const y2 = b.y + NODE_H / 2;
    const dx = (x2 - x1) / 2;
    return { d: `M ${x1} ${y1} C ${x1 + dx} ${y1}, ${x2 - dx} ${y2}, ${x2} ${y2}`, lx: (x1 + x2) / 2, ly: (y1 + y2) / 2 - 4, bottom: Math.max(y1, y2) };
  }
  // Backwards or within a column: under the nodes, from bottom to bottom.
  const x1 = a.x + NODE_W / 2 + 12;
  const y1 = a.y + NODE_H;
  const x2 = b.x + NODE_W / 2 - 12;
  const y2 = b.y + NODE_H;
  const low = Math.max(y1, y2) + below;
  return { d: `M ${x1} ${y1} C ${x1} ${low}, ${x2} ${low}, ${x2} ${y2}`, lx: (x1 + x2) / 2, ly: low - below / 4, bottom: low };
}

/**
 * The graph as an SVG element. Each node is a `g.node` with `data-node` (its id); each edge a
 * `g.edge` with `data-from`, `data-to`, `data-kind` and `data-count`.
 * @param onNode - called with a node's id when it is clicked
 */
export function drawGraph(nodes: readonly GraphNode[], edges: readonly GraphEdge[], onNode: (node: GraphNode) => void): SVGSVGElement {
  const { placed, idle, width, height } = place(nodes, edges);
  const svg = s("svg", { width, role: "img", "aria-label": "which function types message which, and which egresses they write" });
  let bottom = height;
  svg.append(
    s(
      "defs",
      {},
      ...(["message", "egress", "ingress"] as const).map((kind) =>
        s(
          "marker",
          { id: `arrow-${kind}`, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
          s("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: kind === "egress" ? "#9377c9" : kind === "ingress" ? "#5ea77a" : "#8190ad" }),
        ),
      ),
    ),
  );
  let below = 28;
  for (const e of edges) {
    const a = placed.get(e.from);
    const b = placed.get(e.to);
    if (a === undefined || b === undefined) continue;
    const backwards = a.id !== b.id && b.rank <= a.rank;
    const { d, lx, ly, bottom: low } = route(a, b, below);
    if (backwards) below += 14;
    bottom = Math.max(bottom, low + MARGIN);
    const marker = e.kind === "egress" || e.kind === "ingress" ? e.kind : "message";
    const what = `${e.count} ${COUNTED[e.kind]}${e.topics ? ` (${e.topics.join(", ")})` : ""}`;
    svg.append(
      s(
        "g",
        { class: `edge ${e.kind}`, "data-from": e.from, "data-to": e.to, "data-kind": e.kind, "data-count": e.count },
        s("title", {}, `${a.label} → ${b.label}: ${what}`),
        s("path", { d, "marker-end": `url(#arrow-${marker})` }),
        s("text", { x: lx, y: ly, "text-anchor": "middle" }, e.kind === "delayed" ? `${e.count} delayed` : String(e.count)),
      ),
    );
  }
  if (idle.length > 0) {
    const top = bottom + (bottom === 0 ? TOP : MARGIN);
    svg.append(s("text", { class: "idle", x: MARGIN, y: top - 10 }, "no traffic yet"));
    const perRow = Math.max(1, Math.floor((width - 2 * MARGIN + COL_GAP) / (NODE_W + COL_GAP / 2)));
    idle.forEach((n, i) => {
      const x = MARGIN + (i % perRow) * (NODE_W + COL_GAP / 2);
      const y = top + Math.floor(i / perRow) * (NODE_H + ROW_GAP);
      placed.set(n.id, { ...n, rank: -1, x, y });
      bottom = Math.max(bottom, y + NODE_H + MARGIN);
    });
  }
  for (const n of placed.values()) {
    const label = n.label.length > 30 ? `${n.label.slice(0, 29)}…` : n.label;
    const node = s(
      "g",
      { class: `node ${n.kind}`, "data-node": n.id, transform: `translate(${n.x} ${n.y})`, tabindex: 0, onclick: () => onNode(n) },
      s("title", {}, n.kind === "egress" ? `egress ${n.label}` : n.label),
      s("rect", { width: NODE_W, height: NODE_H }),
      s("text", { x: 12, y: NODE_H / 2 + 4.5 }, label),
    );
    svg.append(node);
  }
  svg.setAttribute("height", String(bottom));
  svg.setAttribute("viewBox", `0 0 ${width} ${bottom}`);
  return svg;
}
