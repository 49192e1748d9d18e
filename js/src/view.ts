/**
 * One rendered Scatter: DOM, renderer, gestures, legend, tooltip, status line.
 * Knows nothing about the widget model; widget.ts wires it to one (callbacks in, setters out).
 */
import { apply, dataToPixels, ndcToPixels, type Affine } from './interact/camera';
import { mapKey, type KeyEvent } from './interact/hotkeys';
import { buildGrid, selectInPolygonGrid, type PointGrid } from './interact/grid';
import { combine, pickNearest, selectInPolygon, warmupPolygons, type Vertex } from './interact/lasso';
import { autoSize, encodePoints, type EncodedPoints, type StyleOptions } from './render/encode';
import { encodeOutline } from './render/outline';
import { ReglRenderer } from './render/regl';
import type { Renderer } from './render/types';
import type { PointData } from './store';
import { h } from './ui/dom';
import { attachGestures, type SelectMode } from './ui/gestures';
import { renderLegend } from './ui/legend';
import { NameLayer, type RegionName } from './ui/names';
import { Rings } from './ui/rings';
import { Toolbar, type Command, type Tool } from './ui/toolbar';

export interface ViewCallbacks {
  onSelection(selection: Uint32Array, n: number): void;
  onHover(index: number): void;
  onKey(event: KeyEvent): void;
  onTool(tool: Tool): void;
  onNamePick?(region: number, add: boolean): void;
}

export interface ViewOptions extends StyleOptions {
  height: number;
  tool: Tool;
  animationMs: number;
}

/** Lets the WebSocket flush the selection message before the renderer blocks the thread. */
const RENDER_DELAY_MS = 25;
/** Warm-up passes over the warm-up polygons (the JIT compiles the lasso path during them). */
const WARMUP_ROUNDS = 3;

/** Run `fn` when the page is idle (one task per call). */
const whenIdle = (fn: () => void): void => {
  if (typeof requestIdleCallback === 'function') requestIdleCallback(fn, { timeout: 1000 });
  else setTimeout(fn, 30);
};

const fmt = (n: number) => n.toLocaleString('en-US');

export class ScatterView {
  readonly root = h('div', 'embedviz-scatter', { tabindex: '0' });
  private plot = h('div', 'ev-plot');
  private canvas = h('canvas', 'ev-canvas');
  private legend = h('div', 'ev-legend');
  private tooltip = h('div', 'ev-tooltip');
  private status = h('div', 'ev-status');
  private message = h('div', 'ev-message');
  private outline = document.createElementNS('http://www.w3.org/2000/svg', 'polygon');
  private toolbar: Toolbar;
  private rings: Rings;
  readonly names = new NameLayer((id, add) => this.cb.onNamePick?.(id, add), () => this.scheduleOverlay());
  private renderer: Renderer | null = null;
  private data: PointData | null = null;
  private encoded: EncodedPoints | null = null;
  private grid: PointGrid | null = null; // spatial index for lasso, built after each new xy
  private selection: Uint32Array = new Uint32Array(0);
  private highlight: Uint32Array = new Uint32Array(0);
  private drawing: Promise<void> = Promise.resolve();
  private cleanups: (() => void)[] = [];
  private frame = 0;

  constructor(private options: ViewOptions, private cb: ViewCallbacks) {
    this.toolbar = new Toolbar((tool) => { this.setTool(tool); cb.onTool(tool); }, (c) => this.command(c));
    this.rings = new Rings();
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('class', 'ev-layer');
    this.outline.setAttribute('style', 'fill: rgba(25,118,210,.08); stroke: #1976d2; stroke-width: 1.5; stroke-dasharray: 4 3');
    svg.appendChild(this.outline);
    this.plot.append(this.canvas, this.rings.canvas, svg, this.names.el, this.toolbar.el, this.legend, this.tooltip, this.message, this.names.toggle);
    this.root.append(this.plot, this.status);
    this.message.textContent = 'Waiting for point data from the kernel (run the cell to show the plot)';
    this.setTool(options.tool);
    this.setHeight(options.height);
    this.root.dataset.ready = '0';
    this.cleanups.push(attachGestures(this.plot, this.canvas, this.outline, {
      tool: () => this.options.tool,
      onPolygon: (poly, mode, t) => this.lassoCommit(poly, mode, t),
      onClick: (x, y, mode) => this.clickSelect(x, y, mode),
      onPointerDown: () => this.root.focus({ preventScroll: true }),
    }));
    const onKey = (e: KeyboardEvent) => this.onKeyDown(e);
    this.root.addEventListener('keydown', onKey);
    this.cleanups.push(() => this.root.removeEventListener('keydown', onKey));
    const observer = new ResizeObserver(() => this.layout());
    observer.observe(this.plot);
    this.cleanups.push(() => observer.disconnect());
    this.updateStatus();
  }

  // ----- inputs from the model ------------------------------------------------------------
  /** New point data; `changed` names the channels that changed (all when not given). */
  setData(data: PointData, animate: boolean, changed?: string[]): void {
    if (changed?.length === 1 && changed[0] === 'outline' && this.encoded && this.data?.n === data.n) {
      this.data = data; // only the rings changed: no re-encoding, no redraw of the points
      this.redrawOutline();
      return;
    }
    if (data.xy !== this.data?.xy) this.grid = null;
    this.data = data;
    if (this.selection.length && this.selection[this.selection.length - 1] >= data.n) {
      this.selection = new Uint32Array(0);
      this.renderer?.select(this.selection);
    }
    this.message.textContent = '';
    renderLegend(this.legend, data.color, '');
    this.redraw(animate);
  }

  setSelection(selection: Uint32Array): void {
    this.selection = selection;
    this.renderer?.select(selection);
    this.updateStatus();
  }

  setNames(names: RegionName[]): void {
    this.names.setNames(names);
  }

  setHighlight(indices: Uint32Array): void {
    this.highlight = indices;
    this.scheduleOverlay();
  }

  setStyle(style: StyleOptions): void {
    Object.assign(this.options, style);
    this.redraw(false);
  }

  setHeight(height: number): void {
    this.options.height = height;
    this.plot.style.height = `${height}px`;
    this.layout();
  }

  setTool(tool: Tool): void {
    this.options.tool = tool;
    this.toolbar.setTool(tool);
    this.plot.className = `ev-plot ev-tool-${tool}`;
  }

  setAnimationMs(ms: number): void {
    this.options.animationMs = ms;
  }

  zoomTo(indices: Uint32Array, padding: number): void {
    void this.renderer?.zoomToPoints(indices, padding);
  }

  resetView(): void {
    void this.renderer?.resetView(true);
  }

  destroy(): void {
    cancelAnimationFrame(this.frame);
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.renderer?.destroy();
    this.renderer = null;
    this.root.remove();
  }

  // ----- drawing ---------------------------------------------------------------------------
  private layout(): void {
    const width = Math.floor(this.plot.clientWidth), height = this.options.height;
    if (width <= 0) return;
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.rings.resize(width, height);
    if (!this.renderer) {
      try {
        this.renderer = new ReglRenderer(this.canvas, width, height, {
          onHover: (i) => this.onHover(i),
          onView: () => this.scheduleOverlay(),
        });
      } catch (err) {
        this.message.textContent = `WebGL2 is not available in this browser: ${String(err)}`;
        return;
      }
      this.renderer.select(this.selection); // a selection made before the renderer existed
      this.redraw(false);
    } else {
      this.renderer.resize(width, height);
      this.scheduleOverlay();
    }
  }

  private redraw(animate: boolean): void {
    const renderer = this.renderer, data = this.data;
    if (!renderer || !data) return;
    const encoded = encodePoints(data, this.options);
    encoded.outline = encodeOutline(data, encoded);
    const first = this.encoded === null;
    this.encoded = encoded;
    this.drawing = this.drawing.then(async () => {
      await renderer.draw(encoded, { animate, durationMs: this.options.animationMs });
      if (first) await renderer.resetView(false);
      this.root.dataset.npoints = String(encoded.n);
      this.root.dataset.outlined = String(encoded.outline?.count ?? 0);
      this.root.dataset.ninvalid = String(encoded.nInvalid);
      this.updateStatus();
      this.scheduleOverlay();
      requestAnimationFrame(() => requestAnimationFrame(() => {
        this.root.dataset.ready = '1';
        this.root.dataset.drawnAt = performance.now().toFixed(1); // for bench_loop: data shown
        this.root.dataset.draws = String(Number(this.root.dataset.draws ?? '0') + 1);
        if (!this.grid && this.data) { // after the first paint
          this.grid = buildGrid(this.data.xy);
          this.warmUpLasso(this.grid);
        }
      }));
    }).catch((err) => { this.message.textContent = `embedviz: drawing failed: ${String(err)}`; });
  }

  private redrawOutline(): void {
    const renderer = this.renderer, data = this.data, encoded = this.encoded;
    if (!renderer || !data || !encoded) return;
    const outline = encodeOutline(data, encoded);
    this.encoded = { ...encoded, outline };
    // after any draw in flight, so the rings land on the points as they end up
    this.drawing = this.drawing.then(() => {
      renderer.setOutline(outline);
      this.root.dataset.outlined = String(outline?.count ?? 0);
      // the rings are what a label key changes under most colourings: stamp their frame
      requestAnimationFrame(() => requestAnimationFrame(() => {
        this.root.dataset.drawnAt = performance.now().toFixed(1); // for bench_loop: data shown
        this.root.dataset.draws = String(Number(this.root.dataset.draws ?? '0') + 1);
      }));
    });
  }

  /** Data -> CSS pixel transform for the current camera, or null before the first draw. */
  camera(): Affine | null {
    if (!this.renderer || !this.encoded) return null;
    const width = this.plot.clientWidth, height = this.options.height;
    return dataToPixels(this.encoded.norm, ndcToPixels(this.renderer.clipMatrix(), width, height));
  }

  private scheduleOverlay(): void {
    cancelAnimationFrame(this.frame);
    this.frame = requestAnimationFrame(() => {
      const cam = this.camera();
      if (!cam || !this.data) return;
      this.root.dataset.camera = JSON.stringify({ ...cam, width: this.plot.clientWidth, height: this.options.height });
      const base = this.options.pointSize > 0 ? this.options.pointSize : autoSize(this.data.n);
      this.rings.draw(this.data.xy, cam, this.highlight, (base * (this.renderer?.pointScale() ?? 1)) / 2 + 3);
      this.names.draw(cam, this.plot.clientWidth, this.options.height);
      this.tooltip.style.display = 'none';
    });
  }

  // ----- selection -------------------------------------------------------------------------
  private lassoCommit(polygon: Vertex[], mode: SelectMode, mouseUpTime: number): void {
    const cam = this.camera();
    if (!cam || !this.data) return;
    const grid = this.grid;
    const hits = grid ? selectInPolygonGrid(this.data.xy, grid, cam, polygon) : selectInPolygon(this.data.xy, cam, polygon);
    const selection = combine(this.selection, hits, mode);
    this.root.dataset.lassoMs = (performance.now() - mouseUpTime).toFixed(2); // selection known in JS
    this.commitSelection(selection);
    this.root.dataset.commitMs = (performance.now() - mouseUpTime).toFixed(2); // drawn state + model set
    this.root.dataset.lassoPx = JSON.stringify(polygon.map(([x, y]) => [+x.toFixed(3), +y.toFixed(3)]));
  }

  /**
   * A lasso's first run is interpreted and compiled as it goes (measured at 1M points: 35-130 ms
   * against 4-10 ms once compiled), so run the selection on synthetic lassos over the current
   * view in idle time, one per idle task, right after the grid is built. Results are dropped.
   */
  private warmUpLasso(grid: PointGrid): void {
    const polygons = warmupPolygons(this.plot.clientWidth || 400, this.options.height);
    let k = 0;
    const step = () => {
      const cam = this.camera();
      if (this.grid !== grid || !this.data || !cam || k >= WARMUP_ROUNDS * polygons.length) return;
      selectInPolygonGrid(this.data.xy, grid, cam, polygons[k++ % polygons.length]);
      whenIdle(step);
    };
    whenIdle(step);
  }

  private clickSelect(x: number, y: number, mode: SelectMode): void {
    const cam = this.camera();
    if (!cam || !this.data) return;
    const base = this.options.pointSize > 0 ? this.options.pointSize : autoSize(this.data.n);
    const radius = Math.max(4, (base * (this.renderer?.pointScale() ?? 1)) / 2 + 2);
    const hit = pickNearest(this.data.xy, cam, x, y, radius);
    if (hit < 0) {
      if (mode === 'replace' && this.selection.length) this.commitSelection(new Uint32Array(0));
      return;
    }
    this.commitSelection(combine(this.selection, Uint32Array.of(hit), mode));
  }

  private commitSelection(selection: Uint32Array): void {
    // to the kernel first; the renderer's update (and the frame it triggers) is the slow
    // part, so it runs in a later task and lets the WebSocket flush the message meanwhile
    this.cb.onSelection(selection, this.data?.n ?? 0);
    this.selection = selection;
    this.updateStatus();
    setTimeout(() => { if (this.selection === selection) this.renderer?.select(selection); }, RENDER_DELAY_MS);
  }

  private command(command: Command): void {
    if (command === 'reset-view') this.resetView();
    else if (command === 'zoom-selection' && this.selection.length) this.zoomTo(this.selection, 0.15);
    else if (command === 'clear-selection') this.commitSelection(new Uint32Array(0));
  }

  // ----- hover, keys, status ------------------------------------------------------------
  private onHover(index: number): void {
    this.cb.onHover(index);
    const cam = this.camera();
    if (index < 0 || !cam || !this.data) {
      this.tooltip.style.display = 'none';
      return;
    }
    const [px, py] = apply(cam, this.data.xy[2 * index], this.data.xy[2 * index + 1]);
    this.tooltip.textContent = this.data.tooltip ? this.data.tooltip.get(index) : `#${index}`;
    this.tooltip.style.display = 'block';
    const width = this.plot.clientWidth;
    const tipWidth = this.tooltip.offsetWidth;
    this.tooltip.style.left = `${Math.min(px + 10, width - tipWidth - 4)}px`;
    // above the point, however many lines the text wraps to (it must not hide the point)
    this.tooltip.style.top = `${Math.max(4, py - this.tooltip.offsetHeight - 8)}px`;
  }

  /**
   * Keys on the map. A map key acts and goes no further; any other key without Ctrl/Cmd, Tab aside, stops here too: JupyterLab's
   * command mode made the cell Markdown on M, cut it on X and re-ran it on Shift+Enter
   * while the map had the focus. Its default action stays (Enter still clicks a button).
   */
  private onKeyDown(e: KeyboardEvent): void {
    const result = mapKey(e);
    if (!result) {
      if (e.key !== 'Tab' && !e.ctrlKey && !e.metaKey) e.stopPropagation();
      return;
    }
    e.stopPropagation(); // keep JupyterLab's notebook shortcuts (1-9, Z, ...) off these keys
    e.preventDefault();
    if (result.kind === 'python') this.cb.onKey(result.event);
    else if (result.action === 'clear') this.commitSelection(new Uint32Array(0));
    else {
      const tool = result.action.slice(5) as Tool;
      this.setTool(tool);
      this.cb.onTool(tool);
    }
  }

  private updateStatus(): void {
    const n = this.data?.n ?? 0;
    const invalid = this.encoded?.nInvalid ?? 0;
    this.root.dataset.nselected = String(this.selection.length);
    const parts = [`${fmt(n)} points`, `${fmt(this.selection.length)} selected`];
    if (this.highlight.length) parts.push(`${fmt(this.highlight.length)} highlighted`);
    this.status.replaceChildren(...parts.map((t) => Object.assign(h('span'), { textContent: t })));
    if (invalid) {
      this.status.appendChild(Object.assign(h('span', 'ev-warn'), {
        textContent: `${fmt(invalid)} not drawn (NaN/inf coordinates)`,
      }));
    }
  }
}
