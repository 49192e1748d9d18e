/**
 * Exact point-in-polygon selection that stays within one frame at 1,000,000 points.
 *
 * A naive even-odd test of every point against every edge costs ~300 ms at 1M points and a
 * few hundred lasso vertices. Instead the polygon is rasterised once into a pixel mask over
 * its bounding box: cells that an edge passes near are marked "boundary", every other cell
 * is wholly inside or wholly outside (inside-ness only changes across an edge), and is
 * classified by a scanline at its centre. Each point then costs one affine projection and
 * one mask lookup; only points in boundary cells get the exact even-odd test.
 */
import type { Affine } from './camera';

export type Vertex = readonly [number, number];

const OUTSIDE = 0, INSIDE = 1, BOUNDARY = 2;
const MAX_CELLS = 4_000_000;

/** Even-odd test of one point against a closed polygon (exact reference). */
export function pointInPolygon(polygon: readonly Vertex[], x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i];
    const [xj, yj] = polygon[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export interface Mask {
  x0: number;
  y0: number;
  cell: number; // cell size in pixels
  cols: number;
  rows: number;
  cells: Uint8Array;
}

/** Rasterise a polygon (pixel coordinates) into an inside/outside/boundary mask. */
export function rasterise(polygon: readonly Vertex[]): Mask {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const [x, y] of polygon) {
    x0 = Math.min(x0, x); x1 = Math.max(x1, x);
    y0 = Math.min(y0, y); y1 = Math.max(y1, y);
  }
  x0 = Math.floor(x0) - 1; y0 = Math.floor(y0) - 1;
  const area = (Math.ceil(x1) + 2 - x0) * (Math.ceil(y1) + 2 - y0);
  const cell = Math.max(1, Math.ceil(Math.sqrt(area / MAX_CELLS)));
  const cols = Math.ceil((Math.ceil(x1) + 2 - x0) / cell);
  const rows = Math.ceil((Math.ceil(y1) + 2 - y0) / cell);
  const cells = new Uint8Array(cols * rows);
  const mask: Mask = { x0, y0, cell, cols, rows, cells };
  fillScanlines(polygon, mask);
  markEdges(polygon, mask);
  return mask;
}

function fillScanlines(polygon: readonly Vertex[], m: Mask): void {
  const xs: number[] = [];
  for (let r = 0; r < m.rows; r++) {
    const y = m.y0 + (r + 0.5) * m.cell;
    xs.length = 0;
    for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
      const [xi, yi] = polygon[i];
      const [xj, yj] = polygon[j];
      if ((yi > y) !== (yj > y)) xs.push(((xj - xi) * (y - yi)) / (yj - yi) + xi);
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      // cells whose centre lies in [xs[k], xs[k+1])
      const c0 = Math.max(0, Math.ceil((xs[k] - m.x0) / m.cell - 0.5));
      const c1 = Math.min(m.cols - 1, Math.ceil((xs[k + 1] - m.x0) / m.cell - 0.5) - 1);
      if (c1 >= c0) m.cells.fill(INSIDE, r * m.cols + c0, r * m.cols + c1 + 1);
    }
  }
}

function markEdges(polygon: readonly Vertex[], m: Mask): void {
  const step = m.cell / 2;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xa, ya] = polygon[j];
    const [xb, yb] = polygon[i];
    const steps = Math.max(1, Math.ceil(Math.hypot(xb - xa, yb - ya) / step));
    for (let s = 0; s <= steps; s++) {
      const t = s / steps;
      const c = Math.floor((xa + (xb - xa) * t - m.x0) / m.cell);
      const r = Math.floor((ya + (yb - ya) * t - m.y0) / m.cell);
      for (let dr = -1; dr <= 1; dr++) {
        const rr = r + dr;
        if (rr < 0 || rr >= m.rows) continue;
        for (let dc = -1; dc <= 1; dc++) {
          const cc = c + dc;
          if (cc >= 0 && cc < m.cols) m.cells[rr * m.cols + cc] = BOUNDARY;
        }
      }
    }
  }
}

/**
 * Indices of points (data coordinates, interleaved xy) whose projection through `toPixels`
 * lies inside `polygon` (pixel coordinates). Non-finite points are never selected.
 */
export function selectInPolygon(xy: ArrayLike<number>, toPixels: Affine,
                                polygon: readonly Vertex[]): Uint32Array {
  if (polygon.length < 3) return new Uint32Array(0);
  const m = rasterise(polygon);
  const { a, b, c, d, e, f } = toPixels;
  const inv = 1 / m.cell;
  const n = xy.length >> 1;
  let out = new Uint32Array(Math.min(n, 1 << 16));
  let count = 0;
  for (let i = 0; i < n; i++) {
    const x = xy[2 * i], y = xy[2 * i + 1];
    const px = a * x + b * y + c, py = d * x + e * y + f;
    const col = Math.floor((px - m.x0) * inv), row = Math.floor((py - m.y0) * inv);
    if (!(col >= 0 && col < m.cols && row >= 0 && row < m.rows)) continue; // NaN lands here
    const state = m.cells[row * m.cols + col];
    if (state === OUTSIDE || (state === BOUNDARY && !pointInPolygon(polygon, px, py))) continue;
    if (count === out.length) {
      const grown = new Uint32Array(Math.min(n, out.length * 2));
      grown.set(out);
      out = grown;
    }
    out[count++] = i;
  }
  return out.slice(0, count);
}

/** The axis-aligned rectangle spanned by two corners, as a polygon. */
export function boxPolygon(a: Vertex, b: Vertex): Vertex[] {
  return [[a[0], a[1]], [b[0], a[1]], [b[0], b[1]], [a[0], b[1]]];
}

/** Combine a new selection with the current one: replace, add or subtract. */
export function combine(current: Uint32Array, next: Uint32Array,
                        mode: 'replace' | 'add' | 'subtract'): Uint32Array {
  if (mode === 'replace') return next;
  const set = new Set<number>(current);
  if (mode === 'add') for (const i of next) set.add(i);
  else for (const i of next) set.delete(i);
  return Uint32Array.from(set).sort();
}

/** Nearest point to (px, py) within `radius` pixels, or -1. */
export function pickNearest(xy: ArrayLike<number>, toPixels: Affine, px: number, py: number,
                            radius: number): number {
  const { a, b, c, d, e, f } = toPixels;
  let best = -1, bestD = radius * radius;
  for (let i = 0, n = xy.length >> 1; i < n; i++) {
    const x = xy[2 * i], y = xy[2 * i + 1];
    const dx = a * x + b * y + c - px, dy = d * x + e * y + f - py;
    const dd = dx * dx + dy * dy;
    if (dd <= bestD) { bestD = dd; best = i; }
  }
  return best;
}
