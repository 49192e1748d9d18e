/**
 * anywidget entry point of the Explorer: draws the label bar, the controls, the status line,
 * the side panels and charts from the model's view state, sends user actions to the kernel
 * as custom messages ({type: 'ui', action, value}), and composes the Scatter (the model's
 * `scatter` trait, a widget reference) through anywidget's `host.getWidget`.
 *
 * Every view draws from the synced state only, so a second view, a re-rendered output or
 * marimo's re-render shows the same thing; `render` returns nothing to clean beyond the
 * listeners it added, which the view's AbortSignal removes.
 */
import type { Render } from '@anywidget/types';
import { confidenceChart, countsChart, roundsChart, type ChartData } from './explorer/charts';
import { OFFER_KEY, routeKey, takesOffer, type Where } from './explorer/keys';
import { renderPreview, renderSelection, type Item } from './explorer/panels';
import { h, svgIcon } from './ui/dom';

interface LabelItem { name: string; short: string; color: string; text_color: string; count: number }

interface ExplorerState {
  scatter: string;
  labels: { items: LabelItem[]; active: string | null; can_undo: boolean; can_redo: boolean;
    renaming: string | null; name_box: string; box_rev: number };
  controls: { color_options: string[]; color_by: string; offer_color_by?: string | null; search_enabled: boolean; search_hint?: string; search: string;
    search_rev: number; busy: boolean; progress: number; new_classes: number; suspects: number; height: number;
    stale?: boolean };
  status: { text: string; kind: string };
  preview: { rich: boolean; item: Item | null };
  selected: { grid: boolean; total: number; items: Item[] };
  charts: ChartData;
}

/** The anywidget release whose hosts compose child widgets (host.getWidget). */
export const COMPOSITION_SINCE = '0.11';

const ICONS = {
  plus: '<path d="M12 5v14M5 12h14"/>',
  pencil: '<path d="M4 20h4L19 9l-4-4L4 16z"/><path d="M13.5 6.5l4 4"/>',
  tag: '<path d="M3 12V4h8l9 9-8 8z"/><circle cx="7.5" cy="8.5" r="1.2"/>',
  eraser: '<path d="M8 20h12M4 15l9-9 6 6-8 8H8z"/>',
  trash: '<path d="M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13"/>',
  undo: '<path d="M9 14L4 9l5-5"/><path d="M4 9h10a6 6 0 010 12h-3"/>',
  redo: '<path d="M15 14l5-5-5-5"/><path d="M20 9H10a6 6 0 000 12h3"/>',
  search: '<circle cx="11" cy="11" r="6"/><path d="M20 20l-4.5-4.5"/>',
  refresh: '<path d="M20 11a8 8 0 10-2.3 5.7M20 4v7h-7"/>',
  stop: '<rect x="6" y="6" width="12" height="12" rx="1"/>',
  bulb: '<path d="M9 18h6M10 21h4M12 3a6 6 0 00-3.5 10.9c.6.5 1 1.2 1 2.1h5c0-.9.4-1.6 1-2.1A6 6 0 0012 3z"/>',
  check: '<path d="M12 3l9 16H3z"/><path d="M12 10v4M12 17h.01"/>',
};

function button(label: string, action: string, title: string, icon?: keyof typeof ICONS,
  extra = ''): HTMLButtonElement {
  const b = h('button', `ev-btn ${extra}`.trim(), { type: 'button', title, 'data-action': action });
  if (icon) b.innerHTML = svgIcon(ICONS[icon]); // constant markup, never data
  if (label) b.append(Object.assign(h('span'), { textContent: label }));
  else b.classList.add('ev-icon');
  b.setAttribute('aria-label', title);
  return b;
}

function where(target: EventTarget | null, mapSlot: HTMLElement): Where {
  const t = target as HTMLElement | null;
  if (!t || typeof t.closest !== 'function') return 'other';
  if (mapSlot.contains(t)) return 'map';
  return t.closest('input, textarea, select, [contenteditable="true"]') ? 'text' : 'other';
}

const render: Render<ExplorerState> = async ({ model, el, host, signal }) => {
  const send = (action: string, value?: unknown) => model.send({ type: 'ui', action, value });
  const root = h('div', 'ev-explorer');

  // ---- label bar: name box, Add/Rename, label actions; the chips have their own row so a
  // tenth label wraps there and never moves the buttons under the mouse
  const name = h('input', 'ev-input ev-label-name', { type: 'text', placeholder: 'new label…', 'aria-label': 'label name' });
  const nameBtn = button('Add', 'name', 'Create a label (Enter)', 'plus', 'ev-name-btn');
  const assign = button('Assign', 'assign', 'Assign the selection to the active label (or press its number)', 'tag');
  const unassign = button('Unassign', 'unassign', 'Remove labels from the selection (Delete)', 'eraser');
  const rename = button('', 'rename_start', 'Rename the active label', 'pencil');
  const del = button('', 'delete', 'Delete the active label; its points become unlabelled (Ctrl+Z restores)', 'trash');
  const undo = button('', 'undo', 'Undo (Ctrl+Z)', 'undo');
  const redo = button('', 'redo', 'Redo (Ctrl+Shift+Z)', 'redo');
  const tools = h('div', 'ev-row ev-label-tools');
  const nameGroup = h('div', 'ev-group');
  nameGroup.append(name, nameBtn);
  const actions = h('div', 'ev-group');
  actions.append(assign, unassign, rename, del, undo, redo);
  tools.append(Object.assign(h('span', 'ev-title'), { textContent: 'Labels' }), nameGroup, actions);
  const chips = h('div', 'ev-chips');
  const bar = h('div', 'ev-label-bar');
  bar.append(tools, chips);

  // ---- controls: colour-by, search, Similar, Retrain/Cancel, the retrain's findings, progress
  const colorBy = h('select', 'ev-select', { 'aria-label': 'colour by' });
  const colorLabel = h('label', 'ev-group');
  colorLabel.append(Object.assign(h('span', 'ev-muted'), { textContent: 'Colour by' }), colorBy);
  const search = h('input', 'ev-input ev-search', { type: 'search', placeholder: 'search text…', 'aria-label': 'search text' });
  const similar = button('Similar', 'similar', 'Select the graph neighbours of the selection', 'search');
  const retrain = button('Retrain', 'retrain', 'Learn from the labels; the map and predictions update', 'refresh', 'ev-primary');
  const cancel = button('Cancel', 'cancel', 'Stop the retrain', 'stop');
  const newClass = button('New class?', 'new_class', 'Select the next cluster of points that fit no label', 'bulb');
  const check = button('Check labels', 'check_labels', 'Select the next group of labelled points that look like another label', 'check');
  const progress = h('div', 'ev-progress', { role: 'progressbar', 'aria-label': 'retrain progress' });
  const progressBar = h('div');
  progress.append(progressBar);
  const row = h('div', 'ev-row');
  row.append(colorLabel, search, similar, retrain, cancel, progress, newClass, check);
  const statusLine = h('div', 'ev-statusline', { role: 'status', 'aria-live': 'polite' });
  // a colouring the kernel offers (the predictions, after a retrain): one click or C takes it
  const offer = h('button', 'ev-btn ev-offer', { type: 'button', 'data-action': 'offer' });
  const statusRow = h('div', 'ev-statusrow');
  statusRow.append(statusLine, offer);
  const controls = h('div', 'ev-controls');
  controls.append(row, statusRow);

  // ---- the map (composed) and the side column
  const mapSlot = h('div', 'ev-map');
  const preview = h('div', 'ev-preview');
  const selection = h('div', 'ev-selection-panel');
  const charts = h('div', 'ev-charts');
  const side = h('div', 'ev-side');
  side.append(preview, selection);
  const main = h('div', 'ev-main');
  main.append(mapSlot, side);
  root.append(bar, controls, main, charts);
  el.appendChild(root);

  // ---- user actions
  const on = <K extends keyof HTMLElementEventMap>(node: HTMLElement, type: K,
    fn: (e: HTMLElementEventMap[K]) => void) => node.addEventListener(type, fn, { signal });
  for (const b of [assign, unassign, del, undo, redo, similar, retrain, cancel, newClass, check]) {
    on(b, 'click', () => send(b.dataset.action!));
  }
  on(rename, 'click', () => { send('rename_start'); name.focus(); });
  on(nameBtn, 'click', () => send('name', name.value));
  on(name, 'keydown', (e) => { if (e.key === 'Enter') send('name', name.value); });
  on(search, 'keydown', (e) => { if (e.key === 'Enter') send('search', search.value); });
  on(colorBy, 'change', () => send('color_by', colorBy.value));
  const takeOffer = () => {
    const option = model.get('controls').offer_color_by;
    if (!option) return;
    send('color_by', option);
    // keys go on to the map (a label key next), not to this button that is about to hide
    mapSlot.querySelector<HTMLElement>('.embedviz-scatter')?.focus({ preventScroll: true });
  };
  on(offer, 'click', takeOffer);
  // in the capture phase: the map stops the keys it does not know, C among them
  root.addEventListener('keydown', (e) => {
    if (!takesOffer(e, where(e.target, mapSlot), model.get('controls').offer_color_by)) return;
    e.stopPropagation();
    e.preventDefault();
    takeOffer();
  }, { signal, capture: true });
  on(chips, 'click', (e) => {
    const chip = (e.target as HTMLElement).closest<HTMLElement>('.ev-chip');
    if (chip?.dataset.name !== undefined) send('pick', chip.dataset.name);
  });
  on(root, 'keydown', (e) => {
    const route = routeKey(e, where(e.target, mapSlot));
    if (route.kind === 'pass') return;
    e.stopPropagation();
    if (route.kind === 'action') {
      e.preventDefault();
      send(route.action, route.value);
    }
  });

  // ---- drawing the state
  let boxRev = -1, searchRev = -1;
  const drawLabels = () => {
    const s = model.get('labels');
    chips.replaceChildren(...s.items.map((item, i) => {
      const chip = h('button', `ev-chip${item.name === s.active ? ' ev-chip-active' : ''}`, { type: 'button' });
      chip.dataset.name = item.name;
      chip.textContent = `${i < 9 ? `${i + 1} · ` : ''}${item.short} (${item.count.toLocaleString('en-US')})`;
      chip.title = `Label the selected points '${item.name}'${i < 9 ? ` (key ${i + 1})` : ''}; with none selected, make it the active label`;
      chip.style.background = item.color;
      chip.style.color = item.text_color;
      return chip;
    }));
    if (!s.items.length) chips.append(Object.assign(h('span', 'ev-muted'), { textContent: 'no labels yet — type a name and press Add' }));
    undo.disabled = !s.can_undo;
    redo.disabled = !s.can_redo;
    rename.disabled = del.disabled = s.active === null;
    const renaming = s.renaming;
    name.placeholder = renaming === null ? 'new label…' : `rename ${renaming.length > 8 ? `${renaming.slice(0, 7)}…` : renaming} to…`;
    nameBtn.lastChild!.textContent = renaming === null ? 'Add' : 'Rename';
    nameBtn.title = renaming === null ? 'Create a label (Enter)' : `Rename '${renaming}' to the name in the box (Enter)`;
    if (s.box_rev !== boxRev) { boxRev = s.box_rev; name.value = s.name_box; }
  };
  const drawControls = () => {
    const c = model.get('controls');
    if (colorBy.options.length !== c.color_options.length) {
      colorBy.replaceChildren(...c.color_options.map((o) => Object.assign(h('option'), { value: o, textContent: o })));
    }
    colorBy.value = c.color_by;
    const offered = c.offer_color_by ?? null;
    offer.hidden = offered === null;
    if (offered !== null) {
      offer.textContent = `Colour by ${offered} (${OFFER_KEY.toUpperCase()})`;
      offer.title = `Colour the map by ${offered} (key ${OFFER_KEY.toUpperCase()}); the colour-by menu has every choice`;
    }
    search.hidden = !c.search_enabled;
    const hint = c.search_hint ?? 'search text…';
    if (search.placeholder !== hint) { search.placeholder = hint; search.setAttribute('aria-label', hint); }
    if (c.search_rev !== searchRev) { searchRev = c.search_rev; search.value = c.search; }
    retrain.disabled = c.busy;
    // labels changed since the predictions shown: the button says a retrain would update them
    retrain.classList.toggle('ev-stale', !!c.stale);
    retrain.title = c.stale ? 'Labels changed since these predictions: retrain to update them'
      : 'Learn from the labels; the map and predictions update';
    cancel.hidden = progress.hidden = !c.busy;
    progressBar.style.width = `${Math.round(c.progress * 100)}%`;
    newClass.hidden = !c.new_classes;
    newClass.lastChild!.textContent = `New class? (${c.new_classes})`;
    check.hidden = !c.suspects;
    check.lastChild!.textContent = `Check labels (${c.suspects})`;
    sideHeight();
  };
  // the side column is exactly as tall as the map beside it (or above it, when the cell is
  // too narrow for both in a row), so only the selection's list inside it scrolls
  const sideHeight = () => {
    const drawn = mapSlot.offsetHeight;
    side.style.height = `${drawn > 100 ? drawn : model.get('controls').height + 28}px`;
  };
  const resized = new ResizeObserver(sideHeight);
  resized.observe(mapSlot);
  signal.addEventListener('abort', () => resized.disconnect());
  const drawStatus = () => {
    const s = model.get('status');
    statusLine.textContent = s.text;
    statusLine.dataset.kind = s.kind;
  };
  const drawPreview = () => renderPreview(preview, model.get('preview'));
  const drawSelection = () => renderSelection(selection, model.get('selected'));
  const drawCharts = () => {
    const data = model.get('charts');
    charts.replaceChildren(countsChart(data), roundsChart(data), confidenceChart(data));
  };
  const draws: [string, () => void][] = [['labels', drawLabels], ['controls', drawControls],
    ['status', drawStatus], ['preview', drawPreview], ['selected', drawSelection], ['charts', drawCharts]];
  for (const [trait, draw] of draws) {
    draw();
    model.on(`change:${trait}` as never, draw);
  }
  signal.addEventListener('abort', () => {
    for (const [trait, draw] of draws) model.off(`change:${trait}` as never, draw);
    root.remove();
  });

  // ---- the map: a child widget, composed (no ipywidgets container)
  if (!host || typeof host.getWidget !== 'function') {
    mapSlot.append(Object.assign(h('div', 'ev-map-message'), {
      textContent: `This notebook's widget front end cannot show the map: embedviz's Explorer needs anywidget ` +
        `>= ${COMPOSITION_SINCE} (widget composition) in the host (JupyterLab/Notebook: pip install -U ` +
        `'anywidget>=${COMPOSITION_SINCE}' and reload; marimo >= 0.25).`,
    }));
    return;
  }
  try {
    const child = await host.getWidget(model.get('scatter'));
    await child.render({ el: mapSlot, signal });
  } catch (err) {
    mapSlot.append(Object.assign(h('div', 'ev-map-message'), { textContent: `embedviz: the map could not be shown: ${String(err)}` }));
  }
};

export default { render };
