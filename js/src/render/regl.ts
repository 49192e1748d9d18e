/**
 * Renderer backed by regl-scatterplot (WebGL2, built for millions of points).
 * Only drawing, camera and hover live here; selection geometry is ours (interact/lasso.ts),
 * so regl-scatterplot's own lasso, click-select and key handling are switched off, and the
 * selection is shown by a CPU-painted layer over the plot (selection.ts), not by
 * regl-scatterplot's select (three extra GL passes over the selected points every frame).
 */
import createScatterplot from 'regl-scatterplot';
import { ndcToPixels } from '../interact/camera';
import type { EncodedPoints } from './encode';
import { packColor, SelectionLayer, type SelectionPaint } from './selection';
import type { DrawOptions, Renderer, RendererCallbacks } from './types';

type Scatterplot = ReturnType<typeof createScatterplot>;

export const BACKGROUND = '#ffffff';

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

  constructor(canvas: HTMLCanvasElement, width: number, height: number, callbacks: RendererCallbacks) {
    this.canvas = canvas;
    this.width = width;
    this.height = height;
    canvas.after(this.layer.canvas);
    this.layer.resize(width, height, window.devicePixelRatio || 1);
    this.plot = createScatterplot({
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
    this.plot.subscribe('view', () => {
      callbacks.onView();
      if (this.selection.length) this.schedulePaint();
    });
  }

  async draw(points: EncodedPoints, options: DrawOptions): Promise<void> {
    await this.plot.set({
      pointColor: points.colors,
      pointColorActive: points.colors,
      pointColorHover: points.colors,
      pointSize: points.sizes,
      opacity: points.opacities,
    } as never);
    const transition = options.animate && this.drawn;
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
    this.points = points;
    this.packed = Uint32Array.from(points.colors, (c) => packColor(c));
    this.paint(); // with the selection as it is now: select() may have run while we awaited
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
  }
}
