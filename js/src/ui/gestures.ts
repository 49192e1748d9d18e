/**
 * Mouse gestures on the plot: lasso / box drags and point clicks.
 * Pan-and-zoom drags go to the renderer untouched; a drag with the lasso or box tool, or
 * with a modifier in pan mode, is captured before the renderer sees it.
 * Modifiers: Shift adds to the selection, Alt / Ctrl / Cmd subtract from it.
 */
import { boxPolygon, type Vertex } from '../interact/lasso';
import type { Tool } from './toolbar';

export type SelectMode = 'replace' | 'add' | 'subtract';

export interface GestureCallbacks {
  tool(): Tool;
  onPolygon(polygon: Vertex[], mode: SelectMode, mouseUpTime: number): void;
  onClick(x: number, y: number, mode: SelectMode): void;
  onPointerDown(): void;
}

const CLICK_SLOP_PX = 4;

export function modeOf(e: { shiftKey: boolean; altKey: boolean; ctrlKey: boolean; metaKey: boolean }): SelectMode {
  if (e.altKey || e.ctrlKey || e.metaKey) return 'subtract';
  return e.shiftKey ? 'add' : 'replace';
}

/** Attach listeners; returns a function that removes every one of them. */
export function attachGestures(plot: HTMLElement, canvas: HTMLCanvasElement,
                               outline: SVGPolygonElement, cb: GestureCallbacks): () => void {
  let down: { x: number; y: number } | null = null;
  let path: Vertex[] | null = null;
  let kind: 'lasso' | 'box' = 'lasso';
  let mode: SelectMode = 'replace';
  let dragged = false; // the last press drew a lasso/box: its click is not a point click

  const local = (e: MouseEvent): Vertex => {
    const r = canvas.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  };
  const drawOutline = (poly: Vertex[] | null) => {
    outline.setAttribute('points', poly ? poly.map((p) => `${p[0]},${p[1]}`).join(' ') : '');
  };

  const onDown = (e: MouseEvent) => {
    if (e.target !== canvas || e.button !== 0) return;
    cb.onPointerDown();
    down = { x: e.clientX, y: e.clientY };
    dragged = false;
    const tool = cb.tool();
    const m = modeOf(e);
    if (tool === 'pan' && m === 'replace') return; // plain drag pans: renderer handles it
    e.stopPropagation();
    e.preventDefault();
    kind = tool === 'box' ? 'box' : 'lasso';
    mode = m;
    path = [local(e)];
    window.addEventListener('mousemove', onMove, true);
    window.addEventListener('mouseup', onUp, true);
  };
  const onMove = (e: MouseEvent) => {
    if (!path) return;
    e.stopPropagation();
    const p = local(e);
    if (kind === 'box') path = [path[0], p];
    else {
      const last = path[path.length - 1];
      if (Math.hypot(p[0] - last[0], p[1] - last[1]) >= 1) path.push(p);
    }
    drawOutline(kind === 'box' ? boxPolygon(path[0], path[path.length - 1]) : path);
  };
  const onUp = (e: MouseEvent) => {
    const t = performance.now();
    window.removeEventListener('mousemove', onMove, true);
    window.removeEventListener('mouseup', onUp, true);
    if (!path) return;
    e.stopPropagation();
    const end = local(e);
    const poly = kind === 'box' ? boxPolygon(path[0], end) : [...path, end];
    path = null;
    drawOutline(null);
    // a closed lasso ends where it started: measure how far the path strayed, not down -> up
    const [sx, sy] = poly[0];
    const extent = Math.max(...poly.map(([x, y]) => Math.hypot(x - sx, y - sy)));
    dragged = extent >= CLICK_SLOP_PX;
    if (dragged) cb.onPolygon(poly, mode, t);
  };
  const onClickCapture = (e: MouseEvent) => {
    if (e.target !== canvas) return;
    e.stopPropagation(); // the renderer's own click-select is replaced by ours
    if (dragged || !down || Math.hypot(e.clientX - down.x, e.clientY - down.y) >= CLICK_SLOP_PX) return;
    const [x, y] = local(e);
    cb.onClick(x, y, modeOf(e));
  };

  plot.addEventListener('mousedown', onDown, true);
  plot.addEventListener('click', onClickCapture, true);
  return () => {
    plot.removeEventListener('mousedown', onDown, true);
    plot.removeEventListener('click', onClickCapture, true);
    window.removeEventListener('mousemove', onMove, true);
    window.removeEventListener('mouseup', onUp, true);
  };
}
