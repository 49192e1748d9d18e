/**
 * Outlines: a ring around chosen points in a colour of their own (e.g. the label a point has),
 * so they show over any colouring.
 *
 * One extra GL pass over the outlined points only: each is a point sprite a little larger
 * than the point, and the fragment shader keeps the annulus outside the point's own disc. The
 * pass runs under the point bodies: drawn over them, the rings of a dense labelled group
 * covered every fill in it (on 400 digits, 5 of 6 labelled points lost their colouring's
 * colour); under them, a lone point shows its whole ring and a group shows a border in its
 * label's colour, and every fill stays visible. A thin gap in the background colour
 * separates fill and ring, so a ring in the fill's hue still reads as a ring.
 * `encodeOutline` is pure (unit-tested); `OutlinePass` owns the GL side.
 */
import type { Regl } from 'regl';
import type { PointData } from '../store';
import type { EncodedPoints } from './encode';

export interface OutlinePoints {
  count: number;
  /** point index of each outlined point */
  index: Uint32Array;
  /** normalised positions, as drawn */
  x: Float32Array;
  y: Float32Array;
  /** point diameter in CSS pixels (before zoom) */
  size: Float32Array;
  /** RGBA bytes, four per outlined point */
  rgba: Uint8Array;
}

/** Ring and gap widths as a share of the point's drawn diameter, kept within [min, max] CSS px:
 *  at 6 px (a few thousand points) a 2 px ring; at 1.5 px (a million) still 1.5 px. */
export const RING = { share: 0.35, min: 1.5, max: 4 };
export const GAP = { share: 0.15, min: 0.75, max: 2 };

function hexBytes(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1, 7), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** The outlined points of `data` (codes >= 0 with a finite position), or null for none. */
export function encodeOutline(data: PointData, points: EncodedPoints): OutlinePoints | null {
  const outline = data.outline;
  if (!outline || outline.codes.length !== data.n) return null;
  const { codes, palette } = outline;
  const colours = palette.map(hexBytes);
  let count = 0;
  for (let i = 0; i < data.n; i++) if (codes[i] >= 0 && codes[i] < colours.length) count++;
  if (count === 0) return null;
  const index = new Uint32Array(count);
  const x = new Float32Array(count), y = new Float32Array(count), size = new Float32Array(count);
  const rgba = new Uint8Array(4 * count);
  let k = 0;
  for (let i = 0; i < data.n; i++) {
    const c = codes[i];
    if (c < 0 || c >= colours.length) continue;
    if (!Number.isFinite(data.xy[2 * i]) || !Number.isFinite(data.xy[2 * i + 1])) continue;
    index[k] = i;
    x[k] = points.x[i];
    y[k] = points.y[i];
    size[k] = points.sizes[points.w[i]];
    const [r, g, b] = colours[c];
    rgba.set([r, g, b, 255], 4 * k);
    k++;
  }
  if (k === 0) return null;
  return { count: k, index: index.subarray(0, k), x: x.subarray(0, k), y: y.subarray(0, k),
    size: size.subarray(0, k), rgba: rgba.subarray(0, 4 * k) };
}

/** Where each outlined point starts an animation from: its position in `previous`. */
export function startPositions(outline: OutlinePoints, previous: EncodedPoints): Float32Array {
  const from = new Float32Array(2 * outline.count);
  for (let k = 0; k < outline.count; k++) {
    from[2 * k] = previous.x[outline.index[k]];
    from[2 * k + 1] = previous.y[outline.index[k]];
  }
  return from;
}

/** regl-scatterplot's default easing, so rings move with their points. */
export function cubicInOut(t: number): number {
  return t < 0.5 ? 4 * t * t * t : (t - 1) * (2 * t - 2) * (2 * t - 2) + 1;
}

const VERT = `
precision highp float;
attribute vec2 start;
attribute vec2 end;
attribute float size;
attribute vec4 color;
uniform mat4 projection;
uniform float t;
uniform float scale;
uniform float dpr;
uniform vec3 ring;
uniform vec3 gap;
varying vec4 vColor;
varying float vBody;
varying float vInner;
varying float vOuter;
varying float vHalf;
void main() {
  gl_Position = projection * vec4(mix(start, end, t), 0.0, 1.0);
  float diameter = size * scale;
  vBody = 0.5 * diameter;
  vInner = vBody + clamp(gap.x * diameter, gap.y * dpr, gap.z * dpr);
  vOuter = vInner + clamp(ring.x * diameter, ring.y * dpr, ring.z * dpr);
  vHalf = vOuter + 1.0;
  gl_PointSize = 2.0 * vHalf;
  vColor = color;
}`;

const FRAG = `
precision highp float;
uniform vec3 background;
varying vec4 vColor;
varying float vBody;
varying float vInner;
varying float vOuter;
varying float vHalf;
void main() {
  float r = length(gl_PointCoord * 2.0 - 1.0) * vHalf;
  float outside = smoothstep(vBody - 0.5, vBody + 0.5, r);
  float ringShare = smoothstep(vInner - 0.5, vInner + 0.5, r);
  float alpha = outside * (1.0 - smoothstep(vOuter - 0.5, vOuter + 0.5, r));
  if (alpha <= 0.0) discard;
  gl_FragColor = vec4(mix(background, vColor.rgb, ringShare), alpha);
}`;

interface OutlineProps extends OutlineFrame {
  start: unknown;
  end: unknown;
  size: unknown;
  color: unknown;
  count: number;
  t: number;
}

export interface OutlineFrame {
  projection: Float32Array;
  /** device pixels per CSS pixel of point size at the current zoom */
  scale: number;
  dpr: number;
  background: [number, number, number];
}

/** The GL side: buffers of the outlined points and the one draw command. */
export class OutlinePass {
  private command: ((props: Record<string, unknown>) => void) | null = null;
  private buffers: { destroy(): void }[] = [];
  private count = 0;
  private animation: { duration: number; started: number | null } | null = null;
  private held = false; // rings wait at their start for the points' transition to begin
  private t = 1;

  constructor(private regl: Regl) {}

  /** Show `outline` (null: none); `from` animates the rings from those positions. */
  set(outline: OutlinePoints | null, from: Float32Array | null = null): void {
    for (const b of this.buffers.splice(0)) b.destroy();
    this.count = outline?.count ?? 0;
    this.t = 1;
    this.held = false;
    this.animation = null;
    if (!outline || this.count === 0) return;
    const end = new Float32Array(2 * this.count);
    for (let k = 0; k < this.count; k++) { end[2 * k] = outline.x[k]; end[2 * k + 1] = outline.y[k]; }
    const regl = this.regl;
    this.buffers = [regl.buffer(from ?? end), regl.buffer(end), regl.buffer(outline.size),
      regl.buffer({ data: outline.rgba, type: 'uint8' })];
    if (from) {
      this.t = 0;
      this.held = true;
    }
  }

  /** The points' transition began: move the rings with them over `duration` ms. */
  startAnimation(duration: number): void {
    if (!this.held) return;
    this.held = false;
    this.animation = { duration, started: null };
  }

  /** A transition ended (or was cut short by the next one): rings that moved are at the end. */
  endAnimation(): void {
    if (!this.animation) return;
    this.animation = null;
    this.t = 1;
  }

  /** The draw is done, transitioned or not: every ring is where its point is. */
  finish(): void {
    this.held = false;
    this.animation = null;
    this.t = 1;
  }

  draw(frame: OutlineFrame): void {
    if (this.count === 0) return;
    if (this.animation) {
      const now = performance.now();
      this.animation.started ??= now; // the points' tween starts on this frame too
      const u = Math.min(1, (now - this.animation.started) / Math.max(1, this.animation.duration));
      this.t = cubicInOut(u);
      if (u >= 1) this.animation = null;
    }
    const [start, end, size, color] = this.buffers;
    const prop = (name: keyof OutlineProps) => this.regl.prop<OutlineProps, keyof OutlineProps>(name);
    this.command ??= (this.regl as unknown as (config: object) => unknown)({
      vert: VERT,
      frag: FRAG,
      attributes: {
        start: prop('start'),
        end: prop('end'),
        size: prop('size'),
        color: prop('color'),
      },
      uniforms: {
        projection: prop('projection'),
        t: prop('t'),
        scale: prop('scale'),
        dpr: prop('dpr'),
        background: prop('background'),
        ring: [RING.share, RING.min, RING.max],
        gap: [GAP.share, GAP.min, GAP.max],
      },
      blend: {
        enable: true,
        func: { srcRGB: 'src alpha', srcAlpha: 'one', dstRGB: 'one minus src alpha', dstAlpha: 'one minus src alpha' },
      },
      depth: { enable: false },
      primitive: 'points',
      count: prop('count'),
    }) as unknown as (props: Record<string, unknown>) => void;
    this.command({ start, end, size, color: { buffer: color, normalized: true, size: 4 }, count: this.count, t: this.t, ...frame });
  }

  /** Whether a frame is still needed to finish moving the rings. */
  get animating(): boolean {
    return this.animation !== null;
  }

  destroy(): void {
    for (const b of this.buffers.splice(0)) b.destroy();
    this.count = 0;
  }
}
