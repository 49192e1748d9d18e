"""One self-contained HTML file of a map: the Scatter's own front-end bundle and its data
inlined (base64 binary, the same buffers the kernel sends), run by a small stand-in for the
widget model. It opens from disk with no kernel and no network: points in their colours,
the legend, hover previews, pan/zoom and lasso with the count selected.
"""
from __future__ import annotations

import base64
import html
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .point_channels import wire_headers
from .scatter import SCATTER_CSS, Scatter, _bundle_path

#: The page: the bundle and the data are base64 in inert <script type="application/json">
#: tags (never parsed as HTML or run as script); the loader imports the bundle from a Blob.
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}
body {{ margin: 16px; font: 13px/1.4 system-ui, sans-serif; color: #1f2328; }}
.evs-head {{ display: flex; flex-wrap: wrap; gap: 6px; align-items: baseline; margin-bottom: 8px; }}
.evs-head h1 {{ font-size: 16px; margin: 0 10px 0 0; }}
.evs-chip {{ border-radius: 10px; padding: 1px 9px; font-weight: 600; font-size: 12px; }}
.evs-main {{ display: flex; gap: 12px; align-items: flex-start; flex-wrap: wrap; }}
.evs-map {{ flex: 1 1 0%; min-width: 420px; }}
.evs-preview {{ width: 320px; font-size: 12px; }}
.evs-preview .evs-title {{ font-weight: 600; font-size: 11px; text-transform: uppercase;
  letter-spacing: .05em; margin-bottom: 4px; }}
.evs-preview img {{ image-rendering: pixelated; border: 1px solid #ddd; display: block;
  margin: 4px 0; }}
.evs-preview .evs-text {{ white-space: pre-wrap; overflow-wrap: anywhere; }}
.evs-note {{ color: #6e7781; font-size: 12px; margin-top: 8px; }}
</style></head>
<body>
<div class="evs-head"><h1 id="evs-title"></h1><span id="evs-chips"></span></div>
<div class="evs-main"><div class="evs-map" id="evs-map"></div>
<div class="evs-preview"><div class="evs-title">Preview</div><div id="evs-preview"
 class="evs-text">hover a point</div></div></div>
<div class="evs-note" id="evs-note"></div>
<script type="application/json" id="evs-bundle">{bundle}</script>
<script type="application/json" id="evs-data">{data}</script>
<script type="module">
const $ = (id) => document.getElementById(id);
const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const meta = JSON.parse($('evs-data').textContent);
$('evs-title').textContent = meta.title;
for (const c of meta.chips) {{
  const s = document.createElement('span');
  s.className = 'evs-chip'; s.textContent = c.text;
  s.style.background = c.color; s.style.color = c.fg;
  $('evs-chips').append(s, ' ');
}}
$('evs-note').textContent = meta.note;
const buffers = meta.buffers.map((b) => new DataView(bytes(b).buffer));
const state = {{ ...meta.state, selection: new DataView(new ArrayBuffer(0)),
  highlight: new DataView(new ArrayBuffer(0)) }};
const listeners = new Map();
const emit = (event, ...args) => (listeners.get(event) || []).slice().forEach((fn) => fn(...args));
const showPreview = (i) => {{
  const el = $('evs-preview');
  if (i < 0) {{ el.textContent = 'hover a point'; return; }}
  el.replaceChildren();
  const text = document.createElement('div');
  text.textContent = meta.previews ? meta.previews[i] : '#' + i;
  el.append(text);
  const uri = meta.images && meta.images[i];
  if (uri && uri.startsWith('data:image/png;base64,')) {{
    const img = document.createElement('img');
    img.src = uri; img.width = img.height = 96; el.append(img);
  }}
}};
const model = {{
  get: (k) => state[k],
  set: (k, v) => {{ state[k] = v; emit('change:' + k, v); }},
  save_changes: () => {{}},
  on: (event, fn) => listeners.set(event, [...(listeners.get(event) || []), fn]),
  off: (event, fn) => listeners.set(event, (listeners.get(event) || []).filter((f) => f !== fn)),
  send: (msg) => {{
    if (msg.type === 'request_data') setTimeout(() => emit('msg:custom', meta.channels, buffers));
    else if (msg.type === 'hover') showPreview(msg.index);
  }},
}};
const code = new TextDecoder().decode(bytes($('evs-bundle').textContent));
const url = URL.createObjectURL(new Blob([code], {{ type: 'text/javascript' }}));
const factory = (await import(url)).default;
const widget = typeof factory === 'function' ? factory() : factory;
const controller = new AbortController();
widget.initialize?.({{ model, signal: controller.signal }});
await widget.render({{ model, el: $('evs-map'), signal: controller.signal }});
</script>
</body></html>
"""


def _b64(buf: Any) -> str:
    return base64.b64encode(bytes(buf)).decode("ascii")


def page_html(scatter: Scatter, *, title: str, chips: list[dict[str, str]] | None = None,
              previews: list[str] | None = None, images: list[str | None] | None = None,
              note: str = "") -> str:
    """The HTML text of the self-contained page (see :func:`write_html`)."""
    headers, raw = wire_headers(scatter._channels, list(scatter._channels))
    buffers = [_b64(b) for b in raw]
    meta = {
        "title": title, "chips": chips or [], "note": note, "previews": previews, "images": images,
        "buffers": buffers,
        "channels": {"type": "channels", "version": 1, "n": scatter.n_points, "animate": False,
                     "channels": headers},
        "state": {"height": scatter.height, "point_size": scatter.point_size,
                  "point_opacity": scatter.point_opacity, "point_color": scatter.point_color,
                  "tool": scatter.tool, "animation_ms": 0, "_selection_rev": 0, "hovered": -1},
    }
    # JSON inside <script type="application/json">: "</" escaped so no text closes the tag
    data = json.dumps(meta, ensure_ascii=True, separators=(",", ":")).replace("</", "<\\/")
    bundle = _b64(_bundle_path().read_bytes())
    return _PAGE.format(title=html.escape(title), css=SCATTER_CSS, bundle=bundle, data=data)


def write_html(path: str | os.PathLike[str], text: str, *, overwrite: bool = False) -> Path:
    """Write ``text`` to ``path`` whole or not at all (a temporary file in the same folder,
    then renamed over it).

    Raises
    ------
    FileExistsError
        ``path`` exists and ``overwrite`` is False.
    FileNotFoundError, PermissionError
        The folder is missing or not writable (nothing is written).
    """
    target = Path(path).expanduser()
    if target.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"save_html writes an .html file; got {str(target)!r}: "
                         "give a path ending in .html")
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} exists; pass overwrite=True to replace it, "
                              "or choose another path")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot save {target.name}: the folder {folder} does not exist; "
                                "create it first or choose another path")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except PermissionError:
        raise PermissionError(f"cannot save {target.name}: the folder {folder} is not "
                              "writable; choose another path") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
