/**
 * Uniform grid over the points in data space (a counting sort of point indices by cell),
 * built once per set of positions. A lasso then decides whole grid cells at once: a cell
 * whose projected rectangle lies wholly inside (or outside) the rasterised polygon takes
 * (or skips) all its points without testing them; only cells on the polygon's edge test
 * points one by one. Measured at 1M points: the per-point mask loop alone takes 20-45 ms
 * on this 2-core machine under load, the grid path a fraction of that.
 */
import type { Affine } from './camera';
import { classifyPoint, flatten, rasteriseFlat, type Vertex } from './lasso';

export interface PointGrid {
  size: number; // cells per axis
  x0: number;
  y0: number;
  cellW: number;
  cellH: number;
  start: Uint32Array; // start[k]..start[k+1] index into `order` for cell k
  order: Uint32Array; // point indices, grouped by cell, ascending within a cell
  n: number;
  scratch: Uint32Array; // reusable output buffer (one per grid)
}

export function buildGrid(xy: Float32Array | Float64Array, size = 256): PointGrid {
  const n = xy.length >> 1;
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = xy[2 * i], y = xy[2 * i + 1];
    if (!(Number.isFinite(x) && Number.isFinite(y))) continue;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  if (x0 > x1) { x0 = 0; x1 = 1; y0 = 0; y1 = 1; }
  const cellW = (x1 - x0) / size || 1, cellH = (y1 - y0) / size || 1;
  const cellOf = new Int32Array(n);
  const counts = new Uint32Array(size * size + 1);
  for (let i = 0; i < n; i++) {
    const x = xy[2 * i], y = xy[2 * i + 1];
    if (!(Number.isFinite(x) && Number.isFinite(y))) { cellOf[i] = -1; continue; }
    const gx = Math.min(size - 1, Math.floor((x - x0) / cellW));
    const gy = Math.min(size - 1, Math.floor((y - y0) / cellH));
    const k = gy * size + gx;
    cellOf[i] = k;
    counts[k + 1]++;
  }
  for (let k = 0; k < size * size; k++) counts[k + 1] += counts[k];
  const start = counts.slice();
  const fill = counts.slice(0, size * size);
  const order = new Uint32Array(start[size * size]);
  for (let i = 0; i < n; i++) {
    const k = cellOf[i];
    if (k >= 0) order[fill[k]++] = i;
  }
  return { size, x0, y0, cellW, cellH, start, order, n, scratch: new Uint32Array(order.length) };
}

/** Summed-area table of cells equal to `value` (size (rows+1) x (cols+1)). */
function summedArea(cells: Uint8Array, cols: number, rows: number, value: number): Int32Array {
  const sat = new Int32Array((rows + 1) * (cols + 1));
  for (let r = 0; r < rows; r++) {
    let rowSum = 0;
    for (let c = 0; c < cols; c++) {
      rowSum += cells[r * cols + c] === value ? 1 : 0;
      sat[(r + 1) * (cols + 1) + c + 1] = sat[r * (cols + 1) + c + 1] + rowSum;
    }
  }
  return sat;
}

/**
 * Same set as selectInPolygon, using the grid to skip most tests. The indices come out
 * grouped by grid cell (not sorted): whole cells are copied with one memcpy each, and
 * sorting 500k indices would cost more than the whole selection.
 */
export function selectInPolygonGrid(xy: Float32Array | Float64Array, grid: PointGrid,
                                    toPixels: Affine, polygon: readonly Vertex[]): Uint32Array {
  if (polygon.length < 3 || grid.n * 2 !== xy.length) return new Uint32Array(0);
  const poly = flatten(polygon);
  const m = rasteriseFlat(poly);
  const W = m.cols + 1;
  const inside = summedArea(m.cells, m.cols, m.rows, 1);
  const outside = summedArea(m.cells, m.cols, m.rows, 0);
  const { a, b, c, d, e, f } = toPixels;
  const { size, order, start } = grid;
  const out = grid.scratch;
  let o = 0;
  const inv = 1 / m.cell;
  for (let gy = 0; gy < size; gy++) {
    for (let gx = 0; gx < size; gx++) {
      const k = gy * size + gx;
      const s = start[k], t = start[k + 1];
      if (s === t) continue;
      // pixel bounding box of the cell's data rectangle (an affine map makes it a parallelogram)
      const xa = grid.x0 + gx * grid.cellW, ya = grid.y0 + gy * grid.cellH;
      const pxa = a * xa + b * ya + c, pya = d * xa + e * ya + f;
      const ax = a * grid.cellW, bx = b * grid.cellH, dy = d * grid.cellW, ey = e * grid.cellH;
      const pxMin = pxa + Math.min(0, ax) + Math.min(0, bx), pxMax = pxa + Math.max(0, ax) + Math.max(0, bx);
      const pyMin = pya + Math.min(0, dy) + Math.min(0, ey), pyMax = pya + Math.max(0, dy) + Math.max(0, ey);
      const c0 = Math.floor((pxMin - 1 - m.x0) * inv), c1 = Math.floor((pxMax + 1 - m.x0) * inv);
      const r0 = Math.floor((pyMin - 1 - m.y0) * inv), r1 = Math.floor((pyMax + 1 - m.y0) * inv);
      if (c1 < 0 || r1 < 0 || c0 >= m.cols || r0 >= m.rows) continue; // wholly outside the mask
      if (c0 >= 0 && r0 >= 0 && c1 < m.cols && r1 < m.rows) {
        const area = (c1 - c0 + 1) * (r1 - r0 + 1);
        const i0 = r0 * W + c0, i1 = r0 * W + c1 + 1, i2 = (r1 + 1) * W + c0, i3 = (r1 + 1) * W + c1 + 1;
        if (inside[i3] - inside[i1] - inside[i2] + inside[i0] === area) {
          out.set(order.subarray(s, t), o);
          o += t - s;
          continue;
        }
        if (outside[i3] - outside[i1] - outside[i2] + outside[i0] === area) continue;
      }
      for (let j = s; j < t; j++) {
        const i = order[j], x = xy[2 * i], y = xy[2 * i + 1];
        if (classifyPoint(m, poly, a * x + b * y + c, d * x + e * y + f)) out[o++] = i;
      }
    }
  }
  return out.slice(0, o);
}
