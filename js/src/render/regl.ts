/**
 * Renderer backed by regl-scatterplot (WebGL2, built for millions of points).
 * Only drawing, camera and hover live here; selection geometry is ours (interact/lasso.ts),
 * so regl-scatterplot's own lasso, click-select and key handling are switched off, and the
 * selection is shown by a CPU-painted layer over the plot (selection.ts), not by
 * regl-scatterplot's select (three extra GL passes over the selected points every frame).
 * Outlines (outline.ts) are one more GL pass, drawn just before the point bodies into the same
 * frame (the renderer's `render` is wrapped so they land in the frame regl-scatterplot draws):
 * under the bodies, a ring never hides a neighbour's fill in a dense group.
 */
import createScatterplot, { createRenderer } from 'regl-scatterplot';
import { ndcToPixels } from '../interact/camera';
import type { EncodedPoints } from './encode';
import { OutlinePass, startPositions, type OutlinePoints } from './outline';
import { packColor, SelectionLayer, type SelectionPaint } from './selection';
import type { DrawOptions, Renderer, RendererCallbacks } from './types';

type Scatterplot = ReturnType<typeof createScatterplot>;
type GlRenderer = ReturnType<typeof createRenderer>;

export const BACKGROUND = '#ffffff';
const BACKGROUND_RGB: [number, number, number] = [1, 1, 1];

export class ReglRenderer implements Renderer {
  readonly canvas: HTMLCanvasElement;
  private plot: Scatterplot;
  private width: number;
  private height: number;
  private drawn = false;
  private points: EncodedPoints | null = null;
  private packed: Uint32Array = new Uint32Array(0); // packed colours of `points`
  private selection: Uint32Array = new Uint32Array(0);
  private layer = new SelectionLayer();
  private frame = 0;
  private durationMs = 0;
  private gl: GlRenderer;
  private outlines: OutlinePass;

  constructor(canvas: HTMLCanvasElement, width: number, height: number, callbacks: RendererCallbacks) {
    this.canvas = canvas;
    this.width = width;
    this.height = height;
    canvas.after(this.layer.canvas);
    this.layer.resize(width, height, window.devicePixelRatio || 1);
    this.gl = createRenderer();
    this.outlines = new OutlinePass(this.gl.regl);
    const render = this.gl.render;
    this.gl.render = (draw, target) => render(() => { this.drawOutlines(); draw(); }, target);
    this.plot = createScatterplot({
      renderer: this.gl,
      canvas,
      width,
      height,
      backgroundColor: BACKGROUND,
      pointScaleMode: 'asinh',
      lassoOnLongPress: false,
      lassoInitiator: false,
      deselectOnDblClick: false,
      deselectOnEscape: false,
      actionKeyMap: {},
      showReticle: false,
      colorBy: 'valueA',
      sizeBy: 'valueB',
      opacityBy: 'valueB',
    } as never);
    this.plot.subscribe('pointOver', (i: number) => callbacks.onHover(i));
    this.plot.subscribe('pointOut', () => callbacks.onHover(-1));
    this.plot.subscribe('transitionStart', () => this.outlines.startAnimation(this.durationMs));
    this.plot.subscribe('transitionEnd', () => this.outlines.endAnimation());
    this.plot.subscribe('view', () => {
      callbacks.onView();
      if (this.selection.length) this.schedulePaint();
    });
  }

  async draw(points: EncodedPoints, options: DrawOptions): Promise<void> {
    const transition = options.animate && this.drawn;
    const previous = this.points;
    const outline = points.outline ?? null;
    // rings start where the points start: their old positions, when the points animate there
    const from = transition && outline && previous && previous.n === points.n ? startPositions(outline, previous) : null;
    this.durationMs = options.durationMs;
    this.outlines.set(outline, from);
    await this.plot.set({
      pointColor: points.colors,
      pointColorActive: points.colors,
      pointColorHover: points.colors,
      pointSize: points.sizes,
      opacity: points.opacities,
    } as never);
    await this.plot.draw(
      { x: points.x, y: points.y, z: points.z, w: points.w },
      {
        zDataType: 'categorical',
        wDataType: 'categorical',
        transition,
        transitionDuration: options.durationMs,
        ...(points.valid ? { filter: points.valid } : {}),
      },
    );
    this.drawn = true;
    this.outlines.finish(); // a draw that did not transition leaves no ring behind
    if (points.outline) this.plot.redraw(); // one more frame, with every ring at its end
    this.points = points;
    this.packed = Uint32Array.from(points.colors, (c) => packColor(c));
    this.paint(); // with the selection as it is now: select() may have run while we awaited
  }

  /** New outlines on the points as drawn (nothing else is redrawn). */
  setOutline(outline: OutlinePoints | null): void {
    this.outlines.set(outline);
    if (this.points) this.points = { ...this.points, outline };
    this.plot.redraw();
  }

  /** One frame's outline pass, inside regl-scatterplot's render into its framebuffer, under
   *  the point bodies. */
  private drawOutlines(): void {
    const m = this.clipMatrix();
    // regl-scatterplot's renderer canvas may be larger than this plot's: its projection
    // scales clip space by the ratio of the two, and so must ours
    const wr = this.canvas.width / this.gl.canvas.width, hr = this.canvas.height / this.gl.canvas.height;
    for (const i of [0, 4, 8, 12]) m[i] *= wr;
    for (const i of [1, 5, 9, 13]) m[i] *= hr;
    const dpr = window.devicePixelRatio || 1;
    this.outlines.draw({ projection: m, scale: this.pointScale() * dpr, dpr, background: BACKGROUND_RGB });
  }

  select(indices: Uint32Array): void {
    this.selection = indices;
    this.paint();
  }

  private schedulePaint(): void {
    cancelAnimationFrame(this.frame);
    this.frame = requestAnimationFrame(() => this.paint());
  }

  private paint(): void {
    cancelAnimationFrame(this.frame);
    const points = this.points;
    if (!this.drawn || !points || this.selection.length === 0) {
      this.layer.paint(this.selection.subarray(0, 0), null);
      return;
    }
    const dpr = window.devicePixelRatio || 1;
    const css = ndcToPixels(this.clipMatrix(), this.width, this.height);
    const scale = this.pointScale() * dpr;
    const paint: SelectionPaint = {
      x: points.x, y: points.y, z: points.z, w: points.w,
      colors: this.packed,
      diameters: points.sizes.map((s) => s * scale),
      toPixels: { a: css.a * dpr, b: css.b * dpr, c: css.c * dpr, d: css.d * dpr, e: css.e * dpr, f: css.f * dpr },
    };
    this.layer.paint(this.selection, paint);
  }

  clipMatrix(): Float32Array {
    const view = this.plot.get('cameraView') as Float32Array;
    const aspect = this.width / this.height; // projection: scale x by 1/aspect
    const m = new Float32Array(view);
    m[0] /= aspect;
    m[4] /= aspect;
    m[8] /= aspect;
    m[12] /= aspect;
    return m;
  }

  pointScale(): number {
    const scaling = (this.plot.get('camera') as { scaling: number[] }).scaling[0];
    return scaling > 1 ? Math.asinh(scaling) / Math.asinh(1) : Math.max(0.1, scaling);
  }

  async zoomToPoints(indices: Uint32Array, padding: number): Promise<void> {
    if (!this.drawn || indices.length === 0) return;
    await this.plot.zoomToPoints(Array.from(indices), { padding, transition: true, transitionDuration: 500 });
  }

  async resetView(animate: boolean): Promise<void> {
    if (!this.drawn) return;
    // normalised data spans [-0.9, 0.9]; keep it inside a canvas narrower than tall too
    const distance = Math.max(1, this.height / this.width);
    await this.plot.zoomToLocation([0, 0], distance, { transition: animate, transitionDuration: 500 });
  }

  /** A view nobody has zoomed or panned is refitted to the new size (else points at the
   *  sides of a narrowed map were cut off until Home was pressed); a chosen view stays. */
  resize(width: number, height: number): void {
    if (width === this.width && height === this.height) return;
    const refit = this.atHome();
    this.width = width;
    this.height = height;
    this.layer.resize(width, height, window.devicePixelRatio || 1);
    void this.plot.set({ width, height }).then(async () => {
      if (refit) await this.resetView(false);
      this.paint();
    });
  }

  /** Is the camera where resetView puts it, for the current size? */
  private atHome(): boolean {
    if (!this.drawn) return false;
    const distance = Number(this.plot.get('cameraDistance'));
    const target = this.plot.get('cameraTarget') as ArrayLike<number>;
    const home = Math.max(1, this.height / this.width);
    return Math.abs(distance - home) < 1e-3 * home && Math.hypot(target[0], target[1]) < 1e-3;
  }

  destroy(): void {
    cancelAnimationFrame(this.frame);
    this.layer.canvas.remove();
    this.plot.destroy();
    this.outlines.destroy();
    this.gl.destroy(); // created here, so regl-scatterplot leaves it to us
  }
}
