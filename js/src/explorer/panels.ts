/**
 * The Explorer's side panels: the hovered item's preview and the selected items. Items come
 * from the kernel as JSON; text is set with textContent, images only as PNG data URIs.
 */
import { h } from '../ui/dom';

export interface Item {
  index: number;
  label: string | null;
  color: string | null;
  extra: string | null;
  /** [column, value] pairs the user picked with preview=[...], as text */
  fields?: [string, string][];
  text?: string;
  image?: string;
  image_error?: string;
}

/** The map's mouse and keys, shown in the preview while nothing is hovered. */
export const MAP_KEYS: [string, string][] = [
  ['drag', 'lasso; Shift adds, Ctrl/Alt removes'],
  ['wheel', 'zoom; P pans, L lassos again'],
  ['1–9', 'label the selection'],
  ['Del', 'unlabel the selection'],
  ['Ctrl+Z', 'undo (Ctrl+Shift+Z redo)'],
  ['Esc', 'clear the selection'],
];

const PNG = 'data:image/png;base64,';

function text(tag: keyof HTMLElementTagNameMap, className: string, value: string): HTMLElement {
  const node = h(tag, className);
  node.textContent = value;
  return node;
}

export function thumbnail(item: Item, size: number): HTMLElement {
  if (item.image && item.image.startsWith(PNG)) {
    const img = h('img', 'ev-thumb', { width: String(size), height: String(size), alt: `#${item.index}` });
    img.src = item.image;
    return img;
  }
  const missing = text('div', 'ev-thumb ev-thumb-missing', 'image unavailable');
  missing.title = item.image_error ?? 'no image';
  return missing;
}

function labelChip(item: Item): HTMLElement {
  const chip = text('span', 'ev-chip-s', item.label ?? 'unlabelled');
  chip.style.background = item.label ? item.color ?? '#888' : '#ddd';
  chip.style.color = item.label ? '#fff' : '#555';
  if (item.label) chip.style.textShadow = '0 0 2px rgba(0,0,0,.45)';
  return chip;
}

/** The picked columns as a two-column list (name, value); both are data: textContent only. */
export function fieldList(item: Item): HTMLElement | null {
  if (!item.fields || !item.fields.length) return null;
  const list = h('dl', 'ev-fields');
  for (const [name, value] of item.fields) {
    const dt = text('dt', '', name);
    const dd = text('dd', '', value);
    dt.title = name;
    dd.title = value;
    list.append(dt, dd);
  }
  return list;
}

export function itemRow(item: Item, thumb: number): HTMLElement {
  const row = h('div', 'ev-item');
  const head = h('div', 'ev-item-head');
  head.append(text('b', '', `#${item.index}`), labelChip(item));
  if (item.extra) head.append(text('span', 'ev-muted', item.extra));
  row.append(head);
  const list = fieldList(item);
  if (item.image !== undefined || item.image_error !== undefined) {
    // the columns beside the thumbnail, not under it: the side column is short
    const body = h('div', 'ev-item-body');
    body.append(thumbnail(item, thumb));
    if (list) body.append(list);
    row.append(body);
  } else if (list) {
    row.append(list);
  }
  if (item.text) row.append(text('div', 'ev-text', item.text));
  return row;
}

export function renderPreview(el: HTMLElement, state: { rich: boolean; item: Item | null }): void {
  el.classList.toggle('ev-plain', !state.rich);
  const title = text('div', 'ev-panel-title', 'Preview');
  if (state.item) {
    el.replaceChildren(title, itemRow(state.item, 96));
    return;
  }
  const hint = text('div', 'ev-muted', state.rich ? 'hover a point; on the map:' : 'hover a point');
  if (!state.rich) {
    el.replaceChildren(title, hint);
    return;
  }
  const keys = h('div', 'ev-keys');
  for (const [key, what] of MAP_KEYS) keys.append(text('kbd', '', key), text('span', '', what));
  el.replaceChildren(title, hint, keys);
}

function tile(item: Item): HTMLElement {
  const t = h('div', 'ev-tile');
  const columns = (item.fields ?? []).map(([k, v]) => `\n${k}: ${v}`).join('');
  t.title = `#${item.index} ${item.label ?? 'unlabelled'}${item.extra ? ` · ${item.extra}` : ''}${columns}`;
  t.style.borderBottomColor = item.color ?? '#c8c8c8';
  t.append(thumbnail(item, 40));
  return t;
}

export function renderSelection(el: HTMLElement, state: { grid: boolean; total: number; items: Item[] }): void {
  const title = text('div', 'ev-panel-title', 'Selection ');
  title.append(text('span', 'ev-muted', `(${state.total.toLocaleString('en-US')} points)`));
  if (!state.items.length) {
    el.replaceChildren(title, text('div', 'ev-muted', 'lasso points on the map (drag), Shift adds, Ctrl/Alt removes'));
    return;
  }
  const body = h('div', state.grid ? 'ev-grid' : 'ev-items');
  body.append(...state.items.map((item) => (state.grid ? tile(item) : itemRow(item, 40))));
  el.replaceChildren(title, body);
  if (state.total > state.items.length) {
    el.append(text('div', 'ev-muted', `… and ${(state.total - state.items.length).toLocaleString('en-US')} more`));
  }
}
