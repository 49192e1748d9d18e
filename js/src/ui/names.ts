/**
 * Region names drawn over the map as DOM text (textContent only: names come from data).
 *
 * Which names show: coarse regions first, then finer ones, each only while its region is big
 * enough on screen for its name (so zooming in brings finer names) and, for a region with
 * finer names under it, not much bigger than the plot (zoomed far in, its children speak);
 * then greedily, in that order, only names whose boxes overlap no name already placed.
 * Hovering a name shows its keywords and size; clicking it asks for its members.
 */
import type { Affine } from '../interact/camera';
import { h } from './dom';

export interface RegionName {
  id: number;
  name: string;
  x: number;
  y: number;
  level: number;
  size: number;
  keywords: string[];
  /** Region extent in data units: xmin, ymin, xmax, ymax. */
  bbox: [number, number, number, number];
  /** Whether finer regions lie under it. */
  parent: boolean;
}

export interface Box { left: number; top: number; width: number; height: number }

/** Gap kept between two names, px. */
const PAD = 3;
const FONT = "600 {px}px system-ui, -apple-system, 'Segoe UI', sans-serif";

/**
 * Greedy placement: walk `boxes` in `order` and keep a box when it overlaps (with `pad`
 * between them) none kept before it. Returns one flag per box.
 */
export function cullOverlaps(boxes: Box[], order: number[], pad = PAD): boolean[] {
  const kept: Box[] = [];
  const shown = new Array<boolean>(boxes.length).fill(false);
  for (const i of order) {
    const b = boxes[i];
    let free = true;
    for (const k of kept) {
      if (b.left < k.left + k.width + pad && k.left < b.left + b.width + pad &&
          b.top < k.top + k.height + pad && k.top < b.top + b.height + pad) { free = false; break; }
    }
    if (free) { kept.push(b); shown[i] = true; }
  }
  return shown;
}

/** Font size in px: coarse levels larger, and bigger regions larger within a level. */
export function fontSize(level: number, size: number, largest: number): number {
  const base = Math.max(10, 15 - 2 * level);
  return Math.round(base * (0.85 + 0.3 * Math.sqrt(size / Math.max(largest, 1))));
}

/** The order names are placed in: coarse to fine, big to small within a level. */
export function priority(names: RegionName[]): number[] {
  return names.map((_, i) => i).sort((a, b) =>
    names[a].level - names[b].level || names[b].size - names[a].size || a - b);
}

export class NameLayer {
  readonly el = h('div', 'ev-names');
  readonly toggle = h('button', 'ev-names-toggle', { type: 'button', title: 'Show or hide region names' });
  private tip = h('div', 'ev-names-tip');
  private names: RegionName[] = [];
  private spans: HTMLSpanElement[] = [];
  private widths: number[] = [];
  private fonts: number[] = [];
  private order: number[] = [];
  private visible = true;
  private measure: CanvasRenderingContext2D | null = null;

  constructor(private onPick: (id: number, add: boolean) => void, private onChange: () => void) {
    this.toggle.textContent = 'Names';
    this.toggle.classList.add('ev-active');
    this.toggle.style.display = 'none';
    this.toggle.addEventListener('click', () => this.setVisible(!this.visible));
    this.el.append(this.tip);
  }

  setNames(names: RegionName[]): void {
    for (const span of this.spans) span.remove();
    this.names = names;
    this.order = priority(names);
    const largest: number[] = [];
    for (const n of names) largest[n.level] = Math.max(largest[n.level] ?? 0, n.size);
    this.fonts = names.map((n) => fontSize(n.level, n.size, largest[n.level]));
    this.measure ??= document.createElement('canvas').getContext('2d');
    this.widths = names.map((n, i) => this.textWidth(n.name, this.fonts[i]));
    this.spans = names.map((n, i) => this.span(n, this.fonts[i]));
    this.el.append(...this.spans);
    this.toggle.style.display = names.length ? '' : 'none';
    this.onChange();
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    this.toggle.classList.toggle('ev-active', visible);
    this.el.style.display = visible ? '' : 'none';
    this.onChange();
  }

  /** Place the names for the camera `cam` on a `width` x `height` plot. */
  draw(cam: Affine, width: number, height: number): void {
    if (!this.visible || !this.names.length) return;
    const boxes: Box[] = [];
    const candidates: number[] = [];
    const diagonal = Math.hypot(width, height);
    for (const i of this.order) {
      const n = this.names[i];
      const px = cam.a * n.x + cam.b * n.y + cam.c, py = cam.d * n.x + cam.e * n.y + cam.f;
      const w = this.widths[i], hgt = this.fonts[i] * 1.25;
      boxes[i] = { left: px - w / 2, top: py - hgt / 2, width: w, height: hgt };
      const [x0, y0, x1, y1] = n.bbox;
      const extent = Math.hypot((x1 - x0) * Math.hypot(cam.a, cam.d), (y1 - y0) * Math.hypot(cam.b, cam.e));
      const b = boxes[i];
      const onScreen = b.left >= 0 && b.left + b.width <= width && b.top >= 0 && b.top + b.height <= height;
      const fits = extent >= 0.5 * w;              // the region is about as wide as its name
      const notHuge = !n.parent || extent <= 1.5 * diagonal; // zoomed far in, children speak
      if (onScreen && n.name && fits && notHuge) candidates.push(i);
    }
    const shown = cullOverlaps(boxes, candidates);
    let count = 0;
    this.names.forEach((_, i) => {
      const span = this.spans[i];
      if (!shown[i]) { span.style.display = 'none'; return; }
      span.style.display = '';
      span.style.transform = `translate(${boxes[i].left.toFixed(1)}px, ${boxes[i].top.toFixed(1)}px)`;
      count++;
    });
    this.el.dataset.shown = String(count);
  }

  /** On-screen boxes of the names shown now, for tests: [id, left, top, width, height]. */
  shownBoxes(): number[][] {
    const out: number[][] = [];
    this.spans.forEach((span, i) => {
      if (span.style.display === 'none') return;
      const r = span.getBoundingClientRect();
      out.push([this.names[i].id, r.left, r.top, r.width, r.height]);
    });
    return out;
  }

  private textWidth(text: string, px: number): number {
    if (!this.measure) return text.length * px * 0.6;
    this.measure.font = FONT.replace('{px}', String(px));
    return Math.ceil(this.measure.measureText(text).width) + 6;
  }

  private span(n: RegionName, px: number): HTMLSpanElement {
    const span = h('span', `ev-name ev-name-l${Math.min(n.level, 3)}`);
    span.textContent = n.name;
    span.style.font = FONT.replace('{px}', String(px));
    span.dataset.region = String(n.id);
    span.dataset.level = String(n.level);
    // a press on a name is not the start of a lasso on the map under it
    span.addEventListener('mousedown', (e) => e.stopPropagation());
    span.addEventListener('click', (e) => {
      e.stopPropagation();
      this.onPick(n.id, e.shiftKey);
    });
    span.addEventListener('mouseenter', () => {
      this.tip.textContent = `${n.keywords.slice(0, 6).join(', ')}\n${n.size.toLocaleString('en-US')} points · click to select`;
      this.tip.style.display = 'block';
      const r = span.getBoundingClientRect(), host = this.el.getBoundingClientRect();
      this.tip.style.left = `${Math.max(4, r.left - host.left)}px`;
      this.tip.style.top = `${r.bottom - host.top + 4}px`;
    });
    span.addEventListener('mouseleave', () => { this.tip.style.display = 'none'; });
    return span;
  }
}
