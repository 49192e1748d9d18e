/** Legend: coloured swatches for categories, or a vertical colour bar for continuous values. */
import type { ColorChannel } from '../store';
import { h } from './dom';

const MAX_ROWS = 40;

function formatTick(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(1);
  return Number(v.toPrecision(3)).toString();
}

/**
 * Fill ``el`` with the legend of ``color``. A categorical legend gets a toggle that folds it
 * to one line (``el.dataset.folded``), so it never has to hide the points or the toolbar;
 * names too long for its width end in an ellipsis and show whole on hover.
 */
export function renderLegend(el: HTMLElement, color: ColorChannel | undefined, title: string): void {
  el.replaceChildren();
  if (!color) return;
  if (title) el.appendChild(Object.assign(h('div', 'ev-legend-title'), { textContent: title }));
  if (color.kind === 'categorical') {
    el.appendChild(foldToggle(el, color.categories.length));
    const shown = color.categories.slice(0, MAX_ROWS);
    shown.forEach((name, i) => {
      const row = h('div', 'ev-legend-row', { 'data-category': name, title: name });
      const swatch = h('span', 'ev-swatch');
      swatch.style.background = color.palette[i];
      row.append(swatch, Object.assign(h('span', 'ev-legend-name'), { textContent: name }));
      el.appendChild(row);
    });
    if (color.categories.length > MAX_ROWS) {
      el.appendChild(Object.assign(h('div', 'ev-legend-row'), {
        textContent: `… ${color.categories.length - MAX_ROWS} more`,
      }));
    }
    return;
  }
  const bar = h('div', 'ev-colorbar');
  const gradient = h('div', 'ev-colorbar-bar');
  gradient.style.background = `linear-gradient(to top, ${color.stops.join(', ')})`;
  const ticks = h('div', 'ev-colorbar-ticks');
  for (const v of [color.vmax, (color.vmin + color.vmax) / 2, color.vmin]) {
    ticks.appendChild(Object.assign(h('span'), { textContent: formatTick(v) }));
  }
  bar.append(gradient, ticks);
  el.appendChild(bar);
}

function foldToggle(el: HTMLElement, count: number): HTMLElement {
  const button = h('button', 'ev-legend-fold', { type: 'button' });
  const label = () => {
    const folded = el.dataset.folded === '1';
    button.textContent = folded ? `▸ legend (${count})` : '▾ legend';
    button.title = folded ? 'Show the legend' : 'Fold the legend away';
  };
  button.addEventListener('pointerdown', (e) => e.stopPropagation());
  button.addEventListener('click', (e) => {
    e.stopPropagation();
    el.dataset.folded = el.dataset.folded === '1' ? '0' : '1';
    label();
  });
  label();
  return button;
}
