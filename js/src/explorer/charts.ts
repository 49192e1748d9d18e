/**
 * The Explorer's side charts as small SVGs drawn from the kernel's chart data: points per
 * label, accuracy per retrain round, prediction confidence. Plain SVG rather than composed
 * plotly widgets: three 190 px charts need no plotly.js (3.5 MB per host), they draw the
 * same in every host and in a saved HTML file, and a re-rendered output redraws them from
 * the synced state. All text goes in with textContent.
 */
export interface ChartData {
  counts: { names: string[]; values: number[]; colors: string[] };
  rounds: [number, number | null][];
  confidence: number[] | null;
  n_classes: number;
}

/** What each chart says while it has nothing to show (empty axes with made-up ticks confuse). */
export const HINTS = {
  counts: 'No labels yet: add one, lasso points, press 1-9',
  rounds: 'Press Retrain: accuracy per round shows here',
  confidence: 'Prediction confidence shows after a retrain',
  noCv: 'No accuracy yet: it needs two or more labels (lassos are held out to score it)',
  oneClass: 'One label: every point is predicted as it. Grey points on the map fit no label',
} as const;

export const CHART_W = 316;
export const CHART_H = 150;
const M = { l: 34, r: 8, t: 24, b: 24 };
const NS = 'http://www.w3.org/2000/svg';

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {},
  text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

export function shortened(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1).trimEnd()}…`;
}

/** Round tick values for [0, max]: 0 and up to four more. */
export function ticks(max: number): number[] {
  if (!(max > 0)) return [0];
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = 0; v <= max + 1e-9; v += step) out.push(+v.toFixed(6));
  return out;
}

function frame(title: string, kind: string): SVGSVGElement {
  const svg = el('svg', { class: 'ev-chart', width: CHART_W, height: CHART_H, viewBox: `0 0 ${CHART_W} ${CHART_H}`,
    'data-chart': kind, role: 'img' });
  svg.appendChild(el('text', { class: 'ev-chart-title', x: 4, y: 14 }, title));
  return svg;
}

function hint(svg: SVGSVGElement, text: string): SVGSVGElement {
  // wrapped by hand: SVG text does not wrap
  const words = text.split(' ');
  const lines: string[] = [];
  for (const w of words) {
    const last = lines[lines.length - 1];
    if (last !== undefined && (last + ' ' + w).length <= 44) lines[lines.length - 1] = `${last} ${w}`;
    else lines.push(w);
  }
  const y0 = CHART_H / 2 - (lines.length - 1) * 7;
  lines.forEach((line, i) => svg.appendChild(el('text', {
    class: 'ev-chart-hint', x: CHART_W / 2, y: y0 + i * 14, 'text-anchor': 'middle' }, line)));
  svg.dataset.empty = '1';
  return svg;
}

function yAxis(svg: SVGSVGElement, max: number, fmt: (v: number) => string): (v: number) => number {
  const h = CHART_H - M.t - M.b;
  const y = (v: number) => M.t + h - (max > 0 ? (v / max) * h : 0);
  for (const t of ticks(max)) {
    svg.appendChild(el('line', { class: 'ev-axis', x1: M.l, x2: CHART_W - M.r, y1: y(t), y2: y(t) }));
    svg.appendChild(el('text', { x: M.l - 4, y: y(t) + 3, 'text-anchor': 'end' }, fmt(t)));
  }
  return y;
}

function bars(svg: SVGSVGElement, values: number[], colors: string[], labels: string[], titles: string[]): void {
  const max = Math.max(1, ...values);
  const y = yAxis(svg, max, (v) => v.toLocaleString('en-US'));
  const w = (CHART_W - M.l - M.r) / Math.max(1, values.length);
  values.forEach((v, i) => {
    const x = M.l + i * w;
    const bar = el('rect', { x: x + w * 0.1, y: y(v), width: Math.max(1, w * 0.8), height: Math.max(0, y(0) - y(v)),
      fill: colors[i] ?? '#4c78a8' });
    bar.appendChild(el('title', {}, titles[i] ?? String(v)));
    svg.appendChild(bar);
    if (labels[i]) {
      svg.appendChild(el('text', { x: x + w / 2, y: CHART_H - M.b + 12, 'text-anchor': 'middle' }, labels[i]));
    }
  });
}

export function countsChart(data: ChartData): SVGSVGElement {
  const svg = frame('Points per label', 'counts');
  const { names, values, colors } = data.counts;
  if (!values.some((v) => v > 0)) return hint(svg, HINTS.counts);
  const limit = Math.max(3, Math.floor(40 / Math.max(1, names.length)));
  bars(svg, values, colors, names.length <= 12 ? names.map((n) => shortened(n, limit)) : [],
    names.map((n, i) => `${n}: ${values[i].toLocaleString('en-US')}`));
  return svg;
}

export function roundsChart(data: ChartData): SVGSVGElement {
  const svg = frame('Accuracy per round (on held-out lassos)', 'rounds');
  if (!data.rounds.length) return hint(svg, HINTS.rounds);
  const scored = data.rounds.filter(([, a]) => a !== null) as [number, number][];
  if (!scored.length) return hint(svg, HINTS.noCv);
  const y = yAxis(svg, 1, (v) => v.toFixed(2));
  const last = Math.max(5, ...data.rounds.map(([r]) => r));
  const x = (r: number) => M.l + ((r - 0.5) / last) * (CHART_W - M.l - M.r);
  for (let r = 1; r <= last; r++) {
    svg.appendChild(el('text', { x: x(r), y: CHART_H - M.b + 12, 'text-anchor': 'middle' }, String(r)));
  }
  svg.appendChild(el('polyline', { points: scored.map(([r, a]) => `${x(r)},${y(a)}`).join(' '), fill: 'none',
    stroke: '#1f6feb', 'stroke-width': 2 }));
  for (const [r, a] of scored) {
    const dot = el('circle', { cx: x(r), cy: y(a), r: 3.5, fill: '#1f6feb' });
    dot.appendChild(el('title', {}, `round ${r}: ${a.toFixed(3)}`));
    svg.appendChild(dot);
  }
  return svg;
}

export function confidenceChart(data: ChartData): SVGSVGElement {
  const svg = frame('Prediction confidence', 'confidence');
  if (!data.confidence) return hint(svg, HINTS.confidence);
  if (data.n_classes <= 1) return hint(svg, HINTS.oneClass);
  const n = data.confidence.length;
  const labels = data.confidence.map((_, i) => (i % Math.ceil(n / 5) === 0 ? (i / n).toFixed(1) : ''));
  bars(svg, data.confidence, data.confidence.map(() => '#4c78a8'), labels,
    data.confidence.map((c, i) => `${(i / n).toFixed(2)}–${((i + 1) / n).toFixed(2)}: ${c.toLocaleString('en-US')}`));
  return svg;
}
