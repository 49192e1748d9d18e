/**
 * The selection, painted on the CPU into a 2-D canvas layer over the WebGL plot.
 *
 * regl-scatterplot shows a selection by drawing every selected point three more times
 * (outline, inner border, body). In a software-GL browser that costs about a microsecond a
 * vertex, so a 500k-point selection needs seconds before it shows, and on every frame after.
 * Here a lasso's result shows in one pass over the selected indices: a translucent veil fades
 * the whole plot, then each selected point is stamped as an opaque disc in its own colour over
 * a dark rim (the rim shows the selection's outline and single selected points clearly).
 * `paintSelection` is pure (pixels in, pixels out) so it is unit-tested without a browser.
 */
import type { Affine } from '../interact/camera';

/** Veil over the whole plot while a selection exists: white at 65%, as a packed pixel. */
export const VEIL = packColor('#ffffff', 166);
/** Rim drawn one pixel around each selected point. */
export const RIM = '#37474f';

/** Pixel offsets (dx, dy pairs) of a filled disc of the given diameter in pixels. */
export function discOffsets(diameter: number): Int32Array {
  const d = Math.max(1, Math.round(diameter));
  const r = d / 2, out: number[] = [];
  // pixel centres on a d x d grid around the point's pixel, within radius r of the centre
  const lo = -Math.floor((d - 1) / 2), hi = lo + d - 1;
  const c = (lo + hi) / 2;
  for (let dy = lo; dy <= hi; dy++) {
    for (let dx = lo; dx <= hi; dx++) {
      if ((dx - c) ** 2 + (dy - c) ** 2 <= r * r) out.push(dx, dy);
    }
  }
  if (out.length === 0) out.push(0, 0);
  return Int32Array.from(out);
}

/** '#rrggbb' -> one RGBA pixel as the little-endian Uint32 an ImageData buffer holds. */
export function packColor(hex: string, alpha = 255): number {
  const v = parseInt(hex.slice(1, 7), 16);
  return ((alpha << 24) | ((v & 255) << 16) | (v & 0xff00) | ((v >> 16) & 255)) >>> 0;
}

export interface SelectionPaint {
  /** normalised positions (as drawn) */
  x: Float32Array;
  y: Float32Array;
  /** colour and style index per point (EncodedPoints z and w) */
  z: Float32Array;
  w: Float32Array;
  /** packed colour per colour index, point diameter in device pixels per style index */
  colors: Uint32Array;
  diameters: number[];
  /** normalised -> device pixel transform */
  toPixels: Affine;
}

/**
 * Paint `indices` into `pixels` (width x height, packed RGBA): the veil everywhere, then a
 * rim and a body disc per selected point. An empty selection leaves the pixels transparent.
 */
export function paintSelection(pixels: Uint32Array, width: number, height: number,
                               indices: Uint32Array, p: SelectionPaint): void {
  if (indices.length === 0) {
    pixels.fill(0);
    return;
  }
  pixels.fill(VEIL);
  const bodies = p.diameters.map((d) => discOffsets(d));
  const rims = p.diameters.map((d) => discOffsets(d + 2));
  const rim = packColor(RIM);
  stamp(pixels, width, height, indices, p, rims, null, rim);
  stamp(pixels, width, height, indices, p, bodies, p.colors, 0);
}

function stamp(pixels: Uint32Array, width: number, height: number, indices: Uint32Array,
               p: SelectionPaint, discs: Int32Array[], colors: Uint32Array | null, fixed: number): void {
  const { x, y, z, w } = p;
  const { a, b, c, d, e, f } = p.toPixels;
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    const xi = x[i], yi = y[i];
    const px = Math.floor(a * xi + b * yi + c), py = Math.floor(d * xi + e * yi + f);
    if (!(px >= -8 && px < width + 8 && py >= -8 && py < height + 8)) continue; // off-screen or NaN
    const disc = discs[w[i]];
    const color = colors ? colors[z[i]] : fixed;
    for (let j = 0; j < disc.length; j += 2) {
      const qx = px + disc[j], qy = py + disc[j + 1];
      if (qx >= 0 && qx < width && qy >= 0 && qy < height) pixels[qy * width + qx] = color;
    }
  }
}

/** The layer: a 2-D canvas the renderer keeps on top of its WebGL canvas. */
export class SelectionLayer {
  readonly canvas: HTMLCanvasElement;
  private image: ImageData | null = null;
  private empty = true;

  constructor() {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'ev-selection';
    Object.assign(this.canvas.style, { position: 'absolute', inset: '0', pointerEvents: 'none' });
  }

  resize(width: number, height: number, dpr: number): void {
    this.canvas.width = Math.max(1, Math.round(width * dpr));
    this.canvas.height = Math.max(1, Math.round(height * dpr));
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.image = null;
  }

  paint(indices: Uint32Array, paint: SelectionPaint | null): void {
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    if (indices.length === 0 || !paint) {
      if (!this.empty) ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
      this.empty = true;
      return;
    }
    const { width, height } = this.canvas;
    if (!this.image || this.image.width !== width || this.image.height !== height) {
      this.image = ctx.createImageData(width, height);
    }
    paintSelection(new Uint32Array(this.image.data.buffer), width, height, indices, paint);
    ctx.putImageData(this.image, 0, 0);
    this.empty = false;
  }
}
