/**
 * Pure encoding of point channels into what the renderer draws: normalised positions plus
 * two integer index channels into small lookup tables.
 *   z: colour index  -> colors[z]   (categories, or 256 bins of a colour map + 1 "missing")
 *   w: style index   -> sizes[w], opacities[w]  (w = sizeBin * nOpacity + opacityBin)
 */
import { normalisationFor, type Normalisation } from '../interact/camera';
import type { PointData } from '../store';
import type { OutlinePoints } from './outline';

export const RAMP_BINS = 256;
const SIZE_BINS = 32;
const OPACITY_BINS = 16;

export interface StyleOptions {
  pointColor: string;
  pointSize: number; // base size in px (0: automatic)
  pointOpacity: number; // base opacity (0: automatic)
}

export interface EncodedPoints {
  n: number;
  x: Float32Array;
  y: Float32Array;
  z: Float32Array;
  w: Float32Array;
  colors: string[];
  sizes: number[];
  opacities: number[];
  /** indices of drawable points, or null when every point is finite */
  valid: number[] | null;
  nInvalid: number;
  norm: Normalisation;
  /** the outlined points, or null for none (filled by the view: encodeOutline) */
  outline?: OutlinePoints | null;
}

export function autoSize(n: number): number {
  if (n <= 2_000) return 6;
  if (n <= 20_000) return 4;
  if (n <= 200_000) return 2.5;
  return 1.5;
}

export function autoOpacity(n: number): number {
  if (n <= 20_000) return 0.85;
  if (n <= 200_000) return 0.6;
  return 0.45;
}

function hexToRgb(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1, 7), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

function toHex(rgb: number[]): string {
  return '#' + rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('');
}

/** `bins` colours evenly interpolated between hex stops. */
export function ramp(stops: string[], bins: number = RAMP_BINS): string[] {
  const rgb = stops.map(hexToRgb);
  const out: string[] = [];
  for (let i = 0; i < bins; i++) {
    const t = (bins === 1 ? 0 : i / (bins - 1)) * (rgb.length - 1);
    const k = Math.min(rgb.length - 2, Math.floor(t));
    const u = t - k;
    out.push(toHex(rgb[k].map((c, j) => c + (rgb[k + 1][j] - c) * u)));
  }
  return out;
}

function encodeColor(data: PointData, style: StyleOptions): { z: Float32Array; colors: string[] } {
  const z = new Float32Array(data.n);
  const color = data.color;
  if (!color) return { z, colors: [style.pointColor] };
  if (color.kind === 'categorical') {
    z.set(color.codes);
    return { z, colors: color.palette.slice() };
  }
  const { values, vmin, vmax } = color;
  const span = vmax > vmin ? vmax - vmin : 1;
  for (let i = 0; i < data.n; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) { z[i] = RAMP_BINS; continue; }
    const t = Math.min(1, Math.max(0, (v - vmin) / span));
    z[i] = Math.min(RAMP_BINS - 1, Math.floor(t * RAMP_BINS));
  }
  return { z, colors: [...ramp(color.stops), color.missing] };
}

function encodeStyle(data: PointData, style: StyleOptions) {
  const baseSize = style.pointSize > 0 ? style.pointSize : autoSize(data.n);
  const baseOpacity = style.pointOpacity > 0 ? style.pointOpacity : autoOpacity(data.n);
  const w = new Float32Array(data.n);
  let smin = baseSize, smax = baseSize;
  if (data.size) {
    smin = Infinity; smax = -Infinity;
    for (const s of data.size) { if (s < smin) smin = s; if (s > smax) smax = s; }
  }
  const nSize = data.size && smax > smin ? SIZE_BINS : 1;
  const nOpacity = data.opacity ? OPACITY_BINS : 1;
  for (let i = 0; i < data.n; i++) {
    const sBin = nSize > 1 ? Math.round(((data.size![i] - smin) / (smax - smin)) * (nSize - 1)) : 0;
    const oBin = nOpacity > 1 ? Math.round(data.opacity![i] * (nOpacity - 1)) : 0;
    w[i] = sBin * nOpacity + oBin;
  }
  const sizes: number[] = [], opacities: number[] = [];
  for (let s = 0; s < nSize; s++) {
    for (let o = 0; o < nOpacity; o++) {
      sizes.push(nSize > 1 ? smin + (s / (nSize - 1)) * (smax - smin) : smin);
      opacities.push(nOpacity > 1 ? Math.max(o / (nOpacity - 1), 0.001) : baseOpacity);
    }
  }
  return { w, sizes, opacities };
}

/** Encode channels for drawing; non-finite points are parked at the origin and filtered. */
export function encodePoints(data: PointData, style: StyleOptions): EncodedPoints {
  const norm = normalisationFor(data.xy);
  const x = new Float32Array(data.n), y = new Float32Array(data.n);
  let nInvalid = 0;
  for (let i = 0; i < data.n; i++) {
    const px = data.xy[2 * i], py = data.xy[2 * i + 1];
    if (Number.isFinite(px) && Number.isFinite(py)) {
      x[i] = (px - norm.cx) * norm.scale;
      y[i] = (py - norm.cy) * norm.scale;
    } else nInvalid++;
  }
  let valid: number[] | null = null;
  if (nInvalid > 0) {
    valid = [];
    for (let i = 0; i < data.n; i++) {
      if (Number.isFinite(data.xy[2 * i]) && Number.isFinite(data.xy[2 * i + 1])) valid.push(i);
    }
  }
  return { n: data.n, x, y, ...encodeColor(data, style), ...encodeStyle(data, style), valid, nInvalid, norm };
}
