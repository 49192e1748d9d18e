/** Widget CSS, injected once per document (scoped by the .embedviz-scatter class). */
const CSS = `
.embedviz-scatter { position: relative; font: 12px/1.4 var(--jp-ui-font-family, system-ui, sans-serif);
  color: var(--jp-ui-font-color1, #1f2328); outline: none; border: 1px solid var(--jp-border-color2, #e0e0e0);
  border-radius: 6px; overflow: hidden; background: #fff; user-select: none; }
.embedviz-scatter:focus-visible, .embedviz-scatter.ev-focused { border-color: var(--jp-brand-color1, #1976d2); }
.embedviz-scatter .ev-plot { position: relative; width: 100%; }
.embedviz-scatter canvas.ev-canvas { position: absolute; inset: 0; display: block; }
.embedviz-scatter .ev-layer { position: absolute; inset: 0; pointer-events: none; }
.embedviz-scatter .ev-plot.ev-tool-lasso, .embedviz-scatter .ev-plot.ev-tool-box { cursor: crosshair; }
.embedviz-scatter .ev-plot.ev-tool-pan { cursor: grab; }
.embedviz-scatter .ev-toolbar { position: absolute; top: 8px; left: 8px; display: flex; gap: 2px; padding: 3px;
  background: rgba(255,255,255,.92); border: 1px solid #e3e3e3; border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
.embedviz-scatter .ev-toolbar button { width: 28px; height: 26px; padding: 0; display: grid; place-items: center;
  border: 0; border-radius: 4px; background: transparent; color: #444; cursor: pointer; }
.embedviz-scatter .ev-toolbar button:hover { background: #f0f0f0; }
.embedviz-scatter .ev-toolbar button.ev-active { background: #e3eefc; color: #1565c0; }
.embedviz-scatter .ev-toolbar .ev-sep { width: 1px; margin: 3px 3px; background: #e3e3e3; }
.embedviz-scatter .ev-toolbar svg { width: 16px; height: 16px; }
.embedviz-scatter .ev-legend { position: absolute; top: 8px; right: 8px; max-height: calc(60% - 16px); overflow: auto;
  max-width: min(40%, 260px); padding: 4px 8px 6px; background: rgba(255,255,255,.92); border: 1px solid #e3e3e3;
  border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,.08); min-width: 64px; box-sizing: border-box; }
.embedviz-scatter .ev-legend[data-folded="1"] .ev-legend-row { display: none; }
.embedviz-scatter .ev-legend-fold { display: block; border: 0; background: transparent; padding: 0 0 2px; color: #777;
  font: inherit; font-size: 11px; cursor: pointer; }
.embedviz-scatter .ev-legend-fold:hover { color: #1565c0; }
.embedviz-scatter .ev-legend-name { overflow: hidden; text-overflow: ellipsis; min-width: 0; }
.embedviz-scatter .ev-legend:empty { display: none; }
.embedviz-scatter .ev-legend-title { font-weight: 600; margin-bottom: 3px; color: #555; }
.embedviz-scatter .ev-legend-row { display: flex; align-items: center; gap: 6px; white-space: nowrap; line-height: 18px; }
.embedviz-scatter .ev-swatch { width: 10px; height: 10px; border-radius: 50%; flex: none; }
.embedviz-scatter .ev-colorbar { display: flex; gap: 6px; align-items: stretch; }
.embedviz-scatter .ev-colorbar-bar { width: 12px; height: 120px; border-radius: 2px; }
.embedviz-scatter .ev-colorbar-ticks { display: flex; flex-direction: column; justify-content: space-between; font-variant-numeric: tabular-nums; }
.embedviz-scatter .ev-status { display: flex; gap: 12px; padding: 4px 10px; border-top: 1px solid #eee; color: #57606a;
  background: #fafafa; font-variant-numeric: tabular-nums; }
.embedviz-scatter .ev-status .ev-warn { color: #b35900; }
.embedviz-scatter .ev-tooltip { position: absolute; pointer-events: none; padding: 3px 7px; background: rgba(30,30,30,.9);
  color: #fff; border-radius: 4px; white-space: pre; max-width: 320px; overflow: hidden; text-overflow: ellipsis; display: none; z-index: 2; }
.embedviz-scatter .ev-message { position: absolute; inset: 0; display: grid; place-items: center; color: #777; pointer-events: none; }
`;

export function injectStyle(doc: Document): void {
  if (doc.getElementById('embedviz-scatter-style')) return;
  const style = doc.createElement('style');
  style.id = 'embedviz-scatter-style';
  style.textContent = CSS;
  doc.head.appendChild(style);
}
