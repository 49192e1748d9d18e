"""The Explorer's CSS, injected once per Explorer as an HTML widget (scoped by ev- classes)."""
from __future__ import annotations

import ipywidgets as W

CSS = """
<style>
.ev-explorer { font-family: var(--jp-ui-font-family, system-ui, sans-serif); gap: 6px; }
.ev-explorer .ev-muted { color: var(--jp-ui-font-color2, #777); font-size: 12px; line-height: 18px; }
.ev-label-bar, .ev-controls { padding: 2px 0; }
.ev-explorer .widget-hbox { gap: 6px; }
.ev-label-bar { gap: 4px !important; }
.ev-label-tools { gap: 12px !important; }
.ev-gap10 { gap: 12px !important; }
.ev-chip { border-radius: 12px !important; font-weight: 600; padding: 0 10px !important;
           border: 2px solid transparent !important; }
.ev-chip-active { border: 2px solid var(--jp-ui-font-color0, #111) !important;
                  box-shadow: 0 0 0 2px rgba(0,0,0,0.12); }
.ev-chip-s { display: inline-block; border-radius: 8px; padding: 0 6px; color: #fff;
             font-size: 11px; line-height: 16px; text-shadow: 0 0 2px rgba(0,0,0,0.45); }
.ev-unlabelled { background: #ddd; color: #555; text-shadow: none; }
.ev-side { gap: 6px; }
/* side panels keep their height and the column scrolls: squeezed, the selection list was
   0 px tall and the preview's thumbnail spilled over the chart below it */
.ev-side > * { flex-shrink: 0 !important; }
.ev-preview { max-height: 240px; overflow: auto !important; }
/* the selection list scrolls on its own: a rule under it says where it ends, so a row cut at
   its foot does not read as the chart below covering it */
.ev-selection-panel { border-bottom: 1px solid var(--jp-border-color1, #ccc); padding-bottom: 4px; }
/* narrow notebooks: the side column moves under the map instead of being cut off */
.ev-gap10 { flex-wrap: wrap; }
.ev-panel-title { font-weight: 600; font-size: 12px; text-transform: uppercase;
                  letter-spacing: 0.04em; color: var(--jp-ui-font-color1, #333); margin: 2px 0 4px; }
.ev-item { border-top: 1px solid var(--jp-border-color2, #eee); padding: 4px 0; font-size: 12px; }
.ev-item-head { margin-bottom: 2px; }
.ev-text { color: var(--jp-ui-font-color1, #333); line-height: 1.3; overflow-wrap: anywhere; }
.ev-thumb { image-rendering: pixelated; border: 1px solid #ddd; border-radius: 3px; }
.ev-thumb-missing { display: inline-block; width: 40px; height: 40px; background: #f3f3f3;
                    color: #999; font-size: 9px; text-align: center; line-height: 1.2; padding-top: 8px;
                    border: 1px dashed #ccc; }
/* a grid, not a table: JupyterLab's rendered-HTML table rules spaced the rows 32 px apart */
.ev-keys { display: grid; grid-template-columns: max-content 1fr; gap: 3px 8px; margin-top: 6px;
           font-size: 11px; line-height: 16px; color: var(--jp-ui-font-color2, #666); }
.ev-keys kbd { font-family: inherit; font-size: 10px; padding: 0 4px; border-radius: 3px;
               border: 1px solid var(--jp-border-color1, #ccc); background: #f7f7f7;
               justify-self: start; }
.ev-controls .ev-status { min-height: 36px; }
.ev-controls .ev-status .widget-html-content { line-height: 18px; }
.ev-grid { display: flex; flex-wrap: wrap; gap: 3px; padding-top: 4px; }
.ev-tile { border-bottom: 4px solid #c8c8c8; line-height: 0; }
.ev-tile .ev-thumb { border-radius: 2px 2px 0 0; }
.ev-msg { font-size: 12px; }
.ev-ok { color: #2a7a2a; } .ev-warn { color: #a66a00; } .ev-error { color: #b00020; font-weight: 600; }
</style>
"""


def style_widget() -> W.HTML:
    """An invisible HTML widget carrying the Explorer's CSS."""
    return W.HTML(CSS, layout=W.Layout(display="none"))
