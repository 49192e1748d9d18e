/**
 * Data -> screen mapping. The renderer reports how normalised (NDC-like) coordinates land
 * on the canvas; combined with the data normalisation this gives one affine transform
 * from data coordinates to CSS pixels (origin: canvas top-left, y down).
 */

/** px = a*x + b*y + c ; py = d*x + e*y + f  (CSS pixels). */
export interface Affine {
  a: number; b: number; c: number;
  d: number; e: number; f: number;
}

/** Data -> normalised coordinates: n = (v - center) * scale, same scale on both axes. */
export interface Normalisation {
  cx: number;
  cy: number;
  scale: number;
}

/** Centre the finite points and scale the larger extent to [-fill, fill]. */
export function normalisationFor(xy: Float32Array, fill = 0.9): Normalisation {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < xy.length; i += 2) {
    const x = xy[i], y = xy[i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  if (x0 > x1) return { cx: 0, cy: 0, scale: 1 }; // no finite point at all
  const extent = Math.max(x1 - x0, y1 - y0);
  const scale = extent > 0 ? (2 * fill) / extent : 1; // a single point: unit scale
  return { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, scale };
}

/**
 * Affine from normalised coordinates to CSS pixels, given the renderer's 4x4 column-major
 * model-view-projection matrix (clip space) and the canvas size in CSS pixels.
 */
export function ndcToPixels(mvp: ArrayLike<number>, width: number, height: number): Affine {
  // clip.x = m0*x + m4*y + m12 ; clip.y = m1*x + m5*y + m13 (w == 1 for a 2-D camera)
  const sx = width / 2, sy = -height / 2;
  return {
    a: mvp[0] * sx, b: mvp[4] * sx, c: (mvp[12] + 1) * sx,
    d: mvp[1] * sy, e: mvp[5] * sy, f: (1 - mvp[13]) * (height / 2),
  };
}

/** Compose: data -> normalised -> pixels. */
export function dataToPixels(norm: Normalisation, ndc: Affine): Affine {
  const { cx, cy, scale: s } = norm;
  return {
    a: ndc.a * s, b: ndc.b * s, c: ndc.c - (ndc.a * cx + ndc.b * cy) * s,
    d: ndc.d * s, e: ndc.e * s, f: ndc.f - (ndc.d * cx + ndc.e * cy) * s,
  };
}

/** Inverse of an affine map (for pixels -> data); throws if singular. */
export function invert(t: Affine): Affine {
  const det = t.a * t.e - t.b * t.d;
  if (det === 0 || !Number.isFinite(det)) throw new Error('embedviz: singular camera transform');
  const a = t.e / det, b = -t.b / det, d = -t.d / det, e = t.a / det;
  return { a, b, c: -(a * t.c + b * t.f), d, e, f: -(d * t.c + e * t.f) };
}

export function apply(t: Affine, x: number, y: number): [number, number] {
  return [t.a * x + t.b * y + t.c, t.d * x + t.e * y + t.f];
}
