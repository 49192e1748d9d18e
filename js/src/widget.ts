/**
 * anywidget entry point: the only module that touches the widget model.
 *
 * The default export is a factory, called once per model, so each model owns its point
 * store (no module-level state). `initialize` registers the model's single msg:custom
 * handler and asks the kernel for the point channels; its cleanup removes the handler.
 * `render` builds a view, subscribes it to the store and the model, and returns a cleanup
 * that removes every listener it added.
 */
import type { AnyModel, Initialize, Render } from '@anywidget/types';
import { decodeIndices, encodeSelection } from './codecs';
import type { KeyEvent } from './interact/hotkeys';
import { PointStore } from './store';
import type { Tool } from './ui/toolbar';
import { ScatterView, type ViewOptions } from './view';

interface ScatterModel {
  height: number;
  point_size: number;
  point_opacity: number;
  point_color: string;
  tool: Tool;
  animation_ms: number;
  selection: unknown;
  _selection_rev: number;
  highlight: unknown;
  hovered: number;
}

type Model = AnyModel<ScatterModel>;

const HOVER_DEBOUNCE_MS = 60;

function viewOptions(model: Model): ViewOptions {
  return {
    height: model.get('height'),
    tool: model.get('tool'),
    animationMs: model.get('animation_ms'),
    pointColor: model.get('point_color'),
    pointSize: model.get('point_size'),
    pointOpacity: model.get('point_opacity'),
  };
}

function debounce<T>(fn: (value: T) => void, ms: number): { call(value: T): void; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    call: (value) => { clearTimeout(timer); timer = setTimeout(() => fn(value), ms); },
    cancel: () => clearTimeout(timer),
  };
}

function createWidget() {
  const store = new PointStore();

  const initialize: Initialize<ScatterModel> = ({ model }) => {
    const onMessage = (msg: Record<string, unknown>, buffers: DataView[]) => store.handle(msg, buffers);
    model.on('msg:custom', onMessage);
    model.send({ type: 'request_data' });
    return () => model.off('msg:custom', onMessage);
  };

  const render: Render<ScatterModel> = ({ model, el }) => {
    // Selection and hover go to the kernel as custom messages, not model.save_changes():
    // ipywidgets holds back a state update until the kernel has answered the previous one,
    // and at 1M points the page's main thread is busy drawing, so replies wait for seconds.
    // The kernel applies them with set_state (JS-owned traits, no echo).
    // a lasso in this view comes back to every view of the model; this one skips its own
    const viewId = Math.random().toString(36).slice(2);
    const hover = debounce<number>((index) => model.send({ type: 'hover', index }), HOVER_DEBOUNCE_MS);
    const view = new ScatterView(viewOptions(model), {
      onSelection(selection, n) {
        const wire = encodeSelection(selection, n);
        model.send({ type: 'select', encoding: wire.encoding, n, origin: viewId, sent_at: Date.now() }, undefined, [wire.view]);
      },
      onHover: (index) => hover.call(index),
      onKey(event: KeyEvent) {
        model.send({ type: 'key', key: event });
      },
      onTool(tool) {
        model.set('tool', tool);
        model.save_changes();
      },
      onNamePick(region, add) {
        model.send({ type: 'name_pick', region, add });
      },
    });
    el.appendChild(view.root);
    view.setSelection(store.selection ?? decodeIndices(model.get('selection')));
    view.setHighlight(decodeIndices(model.get('highlight')));
    if (store.data) view.setData(store.data, false);
    if (store.names.length) view.setNames(store.names);

    const unsubscribe = store.subscribe((event) => {
      if (event.type === 'data' && store.data) view.setData(store.data, event.animate, event.changed);
      else if (event.type === 'zoom_to') view.zoomTo(event.indices, event.padding);
      else if (event.type === 'reset_view') view.resetView();
      else if (event.type === 'focus' && view.root.isConnected) view.root.focus({ preventScroll: true });
      else if (event.type === 'selection' && event.origin !== viewId) view.setSelection(event.indices);
      else if (event.type === 'names') view.setNames(event.names);
    });
    const restyle = () => view.setStyle(viewOptions(model));
    const listeners: [string, () => void][] = [
      // every kernel-side assignment bumps _selection_rev (lassos never touch this model
      // copy, so the value alone may look unchanged to the model)
      ['change:_selection_rev', () => { store.selection = null; view.setSelection(decodeIndices(model.get('selection'))); }],
      ['change:highlight', () => view.setHighlight(decodeIndices(model.get('highlight')))],
      ['change:height', () => view.setHeight(model.get('height'))],
      ['change:tool', () => view.setTool(model.get('tool'))],
      ['change:animation_ms', () => view.setAnimationMs(model.get('animation_ms'))],
      ['change:point_size', restyle],
      ['change:point_opacity', restyle],
      ['change:point_color', restyle],
    ];
    for (const [event, handler] of listeners) model.on(event, handler);

    return () => {
      hover.cancel();
      unsubscribe();
      for (const [event, handler] of listeners) model.off(event as never, handler);
      view.destroy();
    };
  };

  return { initialize, render };
}

export default createWidget;
