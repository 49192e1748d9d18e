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

export const OUTSIDE = 0, INSIDE = 1, BOUNDARY = 2;
const MAX_CELLS = 4_000_000;

/** Even-odd test of one point against a closed polygon (exact reference). */
export function pointInPolygon(polygon: readonly Vertex[], x: number, y: number): boolean {
  const { xs, ys } = flatten(polygon);
  return inFlatPolygon(xs, ys, x, y);
}

export interface FlatPolygon {
  xs: Float64Array;
  ys: Float64Array;
}

// Flat coordinate arrays: destructuring [x, y] pairs in the hot loops cost ~10x (measured).
export function flatten(polygon: readonly Vertex[]): FlatPolygon {
  const xs = new Float64Array(polygon.length), ys = new Float64Array(polygon.length);
  polygon.forEach((v, i) => { xs[i] = v[0]; ys[i] = v[1]; });
  return { xs, ys };
}

function inFlatPolygon(xs: Float64Array, ys: Float64Array, x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = xs.length - 1; i < xs.length; j = i++) {
    const yi = ys[i], yj = ys[j];
    if ((yi > y) !== (yj > y) && x < ((xs[j] - xs[i]) * (y - yi)) / (yj - yi) + xs[i]) inside = !inside;
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
  return rasteriseFlat(flatten(polygon));
}

export function rasteriseFlat(poly: FlatPolygon): Mask {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i < poly.xs.length; i++) {
    x0 = Math.min(x0, poly.xs[i]); x1 = Math.max(x1, poly.xs[i]);
    y0 = Math.min(y0, poly.ys[i]); y1 = Math.max(y1, poly.ys[i]);
  }
  x0 = Math.floor(x0) - 1; y0 = Math.floor(y0) - 1;
  const area = (Math.ceil(x1) + 2 - x0) * (Math.ceil(y1) + 2 - y0);
  const cell = Math.max(1, Math.ceil(Math.sqrt(area / MAX_CELLS)));
  const cols = Math.ceil((Math.ceil(x1) + 2 - x0) / cell);
  const rows = Math.ceil((Math.ceil(y1) + 2 - y0) / cell);
  const mask: Mask = { x0, y0, cell, cols, rows, cells: new Uint8Array(cols * rows) };
  fillScanlines(poly, mask);
  markEdges(poly, mask);
  return mask;
}

function fillScanlines({ xs, ys }: FlatPolygon, m: Mask): void {
  const hits = new Float64Array(xs.length);
  for (let r = 0; r < m.rows; r++) {
    const y = m.y0 + (r + 0.5) * m.cell;
    let count = 0;
    for (let i = 0, j = xs.length - 1; i < xs.length; j = i++) {
      const yi = ys[i], yj = ys[j];
      if ((yi > y) !== (yj > y)) hits[count++] = ((xs[j] - xs[i]) * (y - yi)) / (yj - yi) + xs[i];
    }
    const row = hits.subarray(0, count).sort();
    for (let k = 0; k + 1 < count; k += 2) {
      // cells whose centre lies in [row[k], row[k+1])
      const c0 = Math.max(0, Math.ceil((row[k] - m.x0) / m.cell - 0.5));
      const c1 = Math.min(m.cols - 1, Math.ceil((row[k + 1] - m.x0) / m.cell - 0.5) - 1);
      if (c1 >= c0) m.cells.fill(INSIDE, r * m.cols + c0, r * m.cols + c1 + 1);
    }
  }
}

function markEdges({ xs, ys }: FlatPolygon, m: Mask): void {
  const step = m.cell / 2;
  for (let i = 0, j = xs.length - 1; i < xs.length; j = i++) {
    const xa = xs[j], ya = ys[j], dx = xs[i] - xa, dy = ys[i] - ya;
    const steps = Math.max(1, Math.ceil(Math.hypot(dx, dy) / step));
    for (let s = 0; s <= steps; s++) {
      const c = Math.floor((xa + (dx * s) / steps - m.x0) / m.cell);
      const r = Math.floor((ya + (dy * s) / steps - m.y0) / m.cell);
      for (let rr = Math.max(0, r - 1); rr <= Math.min(m.rows - 1, r + 1); rr++) {
        const c0 = Math.max(0, c - 1), c1 = Math.min(m.cols - 1, c + 1);
        if (c1 >= c0) m.cells.fill(BOUNDARY, rr * m.cols + c0, rr * m.cols + c1 + 1);
      }
    }
  }
}

/**
 * Polygon edges bucketed by mask row (CSR: edges[rowStart[r]..rowStart[r+1]] for row r).
 * A horizontal ray at a y inside row r can only cross edges whose y-span overlaps row r, so
 * the exact even-odd test of a boundary point looks at a handful of edges instead of all of
 * a long lasso's hundreds. Each bucket also holds the edges of the rows above and below, so
 * a point whose row index is off by one (rounding) still sees every edge it could cross.
 */
export interface RowEdges {
  rowStart: Int32Array;
  ends: Int32Array; // bucket entry k is the edge from vertex ends[2k+1] to vertex ends[2k]
}

export function bucketEdges({ ys }: FlatPolygon, m: Mask): RowEdges {
  const nv = ys.length, inv = 1 / m.cell, last = m.rows - 1;
  const lo = new Int32Array(nv), hi = new Int32Array(nv);
  const rowStart = new Int32Array(m.rows + 1);
  for (let i = 0, j = nv - 1; i < nv; j = i++) {
    const r0 = Math.max(0, Math.floor((Math.min(ys[i], ys[j]) - m.y0) * inv) - 1);
    const r1 = Math.min(last, Math.floor((Math.max(ys[i], ys[j]) - m.y0) * inv) + 1);
    lo[i] = r0;
    hi[i] = r1;
    for (let r = r0; r <= r1; r++) rowStart[r + 1]++;
  }
  for (let r = 0; r < m.rows; r++) rowStart[r + 1] += rowStart[r];
  const fill = rowStart.slice(0, m.rows);
  const ends = new Int32Array(2 * rowStart[m.rows]);
  for (let i = 0, j = nv - 1; i < nv; j = i++) {
    for (let r = lo[i]; r <= hi[i]; r++) {
      const k = fill[r]++;
      ends[2 * k] = i;
      ends[2 * k + 1] = j;
    }
  }
  return { rowStart, ends };
}

/** Even-odd test of (x, y) against the edges bucketed for mask row `row` (same arithmetic as pointInPolygon). */
export function inRow({ xs, ys }: FlatPolygon, { rowStart, ends }: RowEdges, row: number,
                      x: number, y: number): boolean {
  let inside = false;
  for (let k = rowStart[row], end = rowStart[row + 1]; k < end; k++) {
    const i = ends[2 * k], j = ends[2 * k + 1];
    const yi = ys[i], yj = ys[j];
    if ((yi > y) !== (yj > y) && x < ((xs[j] - xs[i]) * (y - yi)) / (yj - yi) + xs[i]) inside = !inside;
  }
  return inside;
}

/**
 * Indices of points (data coordinates, interleaved xy) whose projection through `toPixels`
 * lies inside `polygon` (pixel coordinates). Non-finite points are never selected.
 */
export function selectInPolygon(xy: Float32Array | Float64Array, toPixels: Affine,
                                polygon: readonly Vertex[]): Uint32Array {
  if (polygon.length < 3) return new Uint32Array(0);
  const poly = flatten(polygon);
  const m = rasteriseFlat(poly);
  const buckets = bucketEdges(poly, m);
  const { a, b, c, d, e, f } = toPixels;
  const inv = 1 / m.cell, cols = m.cols, cells = m.cells;
  const w = cols * m.cell, h = m.rows * m.cell, x0 = m.x0, y0 = m.y0;
  const n = xy.length >> 1;
  let out = new Uint32Array(Math.min(n, 1 << 16));
  let count = 0;
  for (let i = 0; i < n; i++) {
    const x = xy[2 * i], y = xy[2 * i + 1];
    const px = a * x + b * y + c, py = d * x + e * y + f;
    const u = px - x0, v = py - y0;
    if (!(u >= 0 && u < w && v >= 0 && v < h)) continue; // outside the box; NaN lands here
    const row = (v * inv) | 0;
    const state = cells[row * cols + ((u * inv) | 0)];
    if (state === OUTSIDE) continue;
    if (state === BOUNDARY && !inRow(poly, buckets, row, px, py)) continue;
    if (count === out.length) {
      const grown = new Uint32Array(Math.min(n, out.length * 2));
      grown.set(out);
      out = grown;
    }
    out[count++] = i;
  }
  return out.slice(0, count);
}

/**
 * Lasso-like polygons (wobbly rings with fractional pixel coordinates) for warming up the
 * selection code before the user's first lasso: one around most of a `width` x `height`
 * view, one past its edges, one small. Together they take every branch a real lasso takes
 * (whole grid cells, runs of them, cells tested point by point, cells and points off the mask).
 */
export function warmupPolygons(width: number, height: number): Vertex[][] {
  const ring = (cx: number, cy: number, rx: number, ry: number, k: number, wobble: number): Vertex[] => {
    const out: Vertex[] = [];
    for (let i = 0; i < k; i++) {
      const t = (2 * Math.PI * i) / k, r = 1 + wobble * Math.sin(7 * t);
      out.push([(cx + rx * r * Math.cos(t)) * width, (cy + ry * r * Math.sin(t)) * height]);
    }
    return out;
  };
  return [ring(0.5, 0.5, 0.3, 0.35, 120, 0.3), ring(0.5, 0.5, 0.85, 0.85, 60, 0.1), ring(0.2, 0.3, 0.08, 0.1, 40, 0.2)];
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
export function pickNearest(xy: Float32Array | Float64Array, toPixels: Affine, px: number, py: number,
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
