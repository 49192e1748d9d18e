import { describe, expect, it } from 'vitest';
import type { Affine } from '../src/interact/camera';
import { buildGrid, selectInPolygonGrid } from '../src/interact/grid';
import {
  boxPolygon, bucketEdges, combine, flatten, inRow, pickNearest, pointInPolygon, rasterise, selectInPolygon,
  warmupPolygons, type Vertex,
} from '../src/interact/lasso';

const IDENTITY: Affine = { a: 1, b: 0, c: 0, d: 0, e: 1, f: 0 };

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function brute(xy: Float32Array, cam: Affine, poly: Vertex[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < xy.length / 2; i++) {
    const x = xy[2 * i], y = xy[2 * i + 1];
    if (pointInPolygon(poly, cam.a * x + cam.b * y + cam.c, cam.d * x + cam.e * y + cam.f)) out.push(i);
  }
  return out;
}

function star(cx: number, cy: number, r: number, spikes: number): Vertex[] {
  const pts: Vertex[] = [];
  for (let k = 0; k < 2 * spikes; k++) {
    const a = (Math.PI * k) / spikes, rr = k % 2 ? r * 0.4 : r;
    pts.push([cx + rr * Math.cos(a), cy + rr * Math.sin(a)]);
  }
  return pts;
}

describe('pointInPolygon', () => {
  it('handles convex, concave and self-intersecting polygons (even-odd)', () => {
    const square: Vertex[] = [[0, 0], [10, 0], [10, 10], [0, 10]];
    expect(pointInPolygon(square, 5, 5)).toBe(true);
    expect(pointInPolygon(square, 15, 5)).toBe(false);
    const bowtie: Vertex[] = [[0, 0], [10, 10], [10, 0], [0, 10]];
    expect(pointInPolygon(bowtie, 2, 5)).toBe(true); // left lobe
    expect(pointInPolygon(bowtie, 5, 2)).toBe(false); // between the lobes
  });
});

describe('selectInPolygon (mask + exact boundary test)', () => {
  const rand = rng(42);
  const n = 50_000;
  const xy = new Float32Array(2 * n);
  for (let i = 0; i < 2 * n; i++) xy[i] = rand() * 400;

  const polygons: Record<string, Vertex[]> = {
    star: star(200, 200, 150, 7),
    sliver: [[10, 10], [390, 12], [390, 13.5]],
    freeform: Array.from({ length: 300 }, (_, k) => {
      const a = (2 * Math.PI * k) / 300;
      const r = 120 + 60 * Math.sin(5 * a) + 20 * Math.cos(17 * a);
      return [200 + r * Math.cos(a), 200 + r * Math.sin(a)] as Vertex;
    }),
    selfIntersecting: [[50, 50], [350, 350], [350, 50], [50, 350]],
  };

  for (const [name, poly] of Object.entries(polygons)) {
    it(`equals the brute-force even-odd answer: ${name}`, () => {
      expect(Array.from(selectInPolygon(xy, IDENTITY, poly))).toEqual(brute(xy, IDENTITY, poly));
    });
  }

  it('applies the camera affine (scale, flip, translate, rotation)', () => {
    const cam: Affine = { a: 1.7, b: 0.3, c: -40, d: -0.2, e: -1.3, f: 560 };
    const poly = star(260, 300, 180, 5);
    const got = Array.from(selectInPolygon(xy, cam, poly));
    expect(got.length).toBeGreaterThan(100);
    expect(got).toEqual(brute(xy, cam, poly));
  });

  it('is exact for points lying right next to an edge', () => {
    const pts = new Float32Array([10.0001, 5, 9.9999, 5, 5, 0.0001, 5, -0.0001]);
    const sq: Vertex[] = [[0, 0], [10, 0], [10, 10], [0, 10]];
    expect(Array.from(selectInPolygon(pts, IDENTITY, sq))).toEqual(brute(pts, IDENTITY, sq));
  });

  it('never selects NaN/inf points and copes with huge polygons (coarse cells)', () => {
    const pts = new Float32Array([NaN, 1, 1, Infinity, 5, 5]);
    const huge: Vertex[] = [[-1e5, -1e5], [1e5, -1e5], [1e5, 1e5], [-1e5, 1e5]];
    expect(rasterise(huge).cell).toBeGreaterThan(1);
    expect(Array.from(selectInPolygon(pts, IDENTITY, huge))).toEqual([2]);
  });

  it('returns nothing for degenerate input', () => {
    expect(selectInPolygon(xy, IDENTITY, [[0, 0], [1, 1]]).length).toBe(0);
  });
});

describe('box, combine, pick', () => {
  it('box polygon covers the rectangle in either drag direction', () => {
    const pts = new Float32Array([1, 1, 5, 5, 9, 9]);
    expect(Array.from(selectInPolygon(pts, IDENTITY, boxPolygon([6, 6], [0, 0])))).toEqual([0, 1]);
  });

  it('adds and subtracts selections', () => {
    const cur = Uint32Array.of(1, 5, 9);
    expect(Array.from(combine(cur, Uint32Array.of(2, 5), 'add'))).toEqual([1, 2, 5, 9]);
    expect(Array.from(combine(cur, Uint32Array.of(5, 7), 'subtract'))).toEqual([1, 9]);
    expect(Array.from(combine(cur, Uint32Array.of(7), 'replace'))).toEqual([7]);
  });

  it('picks the nearest point within a radius', () => {
    const pts = new Float32Array([0, 0, 10, 0, 20, 0]);
    expect(pickNearest(pts, IDENTITY, 11, 1, 5)).toBe(1);
    expect(pickNearest(pts, IDENTITY, 15, 9, 5)).toBe(-1);
  });
});

describe('selectInPolygonGrid', () => {
  it('matches brute force for many polygons, cameras and grid sizes (incl. NaN points)', () => {
    const rand = rng(7);
    const n = 20_000;
    const xy = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      const cluster = i % 3;
      xy[2 * i] = cluster * 3 + rand() * 2 - 1 + (rand() < 0.01 ? NaN : 0);
      xy[2 * i + 1] = Math.sin(cluster) * 2 + rand() * 2 - 1;
    }
    const cams: Affine[] = [
      { a: 60, b: 0, c: 100, d: 0, e: -60, f: 300 },
      { a: 400, b: 0, c: -500, d: 0, e: -400, f: 600 }, // zoomed in: cells span many pixels
      { a: 5, b: 1, c: 200, d: -1, e: -5, f: 200 }, // zoomed out and rotated
    ];
    for (const size of [1, 16, 256]) {
      const grid = buildGrid(xy, size);
      for (const cam of cams) {
        for (const poly of [star(320, 260, 200, 6), boxPolygon([150, 120], [600, 420]), star(250, 180, 40, 3)]) {
          expect(Array.from(selectInPolygonGrid(xy, grid, cam, poly)).sort((p, q) => p - q)).toEqual(brute(xy, cam, poly));
        }
      }
    }
  });

  it('handles a single point and all-identical points', () => {
    const xy = new Float32Array([2, 2, 2, 2, 2, 2]);
    const grid = buildGrid(xy);
    expect(Array.from(selectInPolygonGrid(xy, grid, IDENTITY, boxPolygon([0, 0], [5, 5])))).toEqual([0, 1, 2]);
    expect(selectInPolygonGrid(xy, grid, IDENTITY, boxPolygon([3, 3], [5, 5])).length).toBe(0);
  });
});

describe('edges bucketed by mask row', () => {
  it('the row test equals the full even-odd test for every point of the row', () => {
    const rand = rng(11);
    const poly = Array.from({ length: 200 }, (_, k) => {
      const a = (2 * Math.PI * k) / 200, r = 80 + 50 * Math.sin(9 * a) + 30 * rand();
      return [150.5 + r * Math.cos(a), 140.25 + r * Math.sin(a)] as Vertex;
    });
    const flat = flatten(poly), mask = rasterise(poly), buckets = bucketEdges(flat, mask);
    expect(buckets.rowStart.length).toBe(mask.rows + 1);
    expect(buckets.rowStart[mask.rows]).toBeLessThan(poly.length * 12); // a few rows per edge, not all
    for (let k = 0; k < 20_000; k++) {
      const x = mask.x0 + rand() * mask.cols * mask.cell, y = mask.y0 + rand() * mask.rows * mask.cell;
      const row = Math.floor((y - mask.y0) / mask.cell);
      expect(inRow(flat, buckets, row, x, y)).toBe(pointInPolygon(poly, x, y));
    }
  });

  it('covers a point whose row index is off by one (rounding at a row border)', () => {
    const tri: Vertex[] = [[0, 0], [10, 0.5], [0, 10]];
    const flat = flatten(tri), mask = rasterise(tri), buckets = bucketEdges(flat, mask);
    for (let r = 0; r < mask.rows; r++) {
      const y = mask.y0 + r * mask.cell; // exactly on the border between rows r-1 and r
      for (const row of [Math.max(0, r - 1), r]) {
        for (const x of [0.5, 2, 5, 9]) expect(inRow(flat, buckets, row, x, y)).toBe(pointInPolygon(tri, x, y));
      }
    }
  });
});

describe('warm-up polygons', () => {
  it('are lasso-like: many finite, fractional vertices, spread over the view', () => {
    const polys = warmupPolygons(800, 480);
    expect(polys.length).toBeGreaterThanOrEqual(3);
    for (const p of polys) {
      expect(p.length).toBeGreaterThanOrEqual(20);
      expect(p.every(([x, y]) => Number.isFinite(x) && Number.isFinite(y))).toBe(true);
      expect(p.some(([x]) => x !== Math.round(x))).toBe(true);
    }
    const xs = polys.flat().map(([x]) => x);
    expect(Math.min(...xs)).toBeLessThan(0); // one runs past the view's edges
    expect(Math.max(...xs)).toBeGreaterThan(800);
  });

  it('select exactly (the warm-up runs the real path) and take all or part of a cloud', () => {
    const rand = rng(3);
    const n = 30_000;
    const xy = new Float32Array(2 * n);
    for (let i = 0; i < 2 * n; i++) xy[i] = rand();
    const cam: Affine = { a: 800, b: 0, c: 0, d: 0, e: -480, f: 480 }; // unit square fills the view
    const grid = buildGrid(xy, 64);
    const counts = warmupPolygons(800, 480).map((poly) => {
      const got = Array.from(selectInPolygonGrid(xy, grid, cam, poly)).sort((p, q) => p - q);
      expect(got).toEqual(brute(xy, cam, poly));
      return got.length;
    });
    expect(Math.max(...counts)).toBe(n);
    expect(counts.some((c) => c > 0 && c < n / 2)).toBe(true);
  });
});
