/** Tool buttons: pan / lasso / box, then zoom to selection, reset view, clear selection. */
import { h, svgIcon } from './dom';

export type Tool = 'pan' | 'lasso' | 'box';
export type Command = 'zoom-selection' | 'reset-view' | 'clear-selection';

const TOOLS: [Tool, string, string][] = [
  ['pan', 'Pan and zoom (P)', '<path d="M5 9l-3 3 3 3M9 5l3-3 3 3M15 19l-3 3-3-3M19 9l3 3-3 3M2 12h20M12 2v20"/>'],
  ['lasso', 'Lasso select (L) — Shift adds, Alt/Ctrl removes', '<path d="M7 17c-3-2-4-5-2-8s7-5 11-4 6 4 4 7-6 4-9 3"/><circle cx="7" cy="19" r="2"/>'],
  ['box', 'Box select (B) — Shift adds, Alt/Ctrl removes', '<rect x="4" y="5" width="16" height="14" rx="1" stroke-dasharray="3 2"/>'],
];
const COMMANDS: [Command, string, string][] = [
  ['zoom-selection', 'Zoom to selection', '<circle cx="10" cy="10" r="6"/><path d="M21 21l-6.5-6.5M7.5 10h5M10 7.5v5"/>'],
  ['reset-view', 'Reset view', '<path d="M3 10.5L12 3l9 7.5M5 9v11h14V9"/>'],
  ['clear-selection', 'Clear selection (Esc)', '<path d="M6 6l12 12M18 6L6 18"/>'],
];

export class Toolbar {
  readonly el = h('div', 'ev-toolbar');
  private buttons = new Map<Tool, HTMLButtonElement>();

  constructor(onTool: (tool: Tool) => void, onCommand: (command: Command) => void) {
    for (const [tool, title, icon] of TOOLS) {
      const b = this.button(title, icon, `tool-${tool}`);
      b.addEventListener('click', () => onTool(tool));
      this.buttons.set(tool, b);
    }
    this.el.appendChild(h('div', 'ev-sep'));
    for (const [command, title, icon] of COMMANDS) {
      this.button(title, icon, command).addEventListener('click', () => onCommand(command));
    }
  }

  private button(title: string, icon: string, name: string): HTMLButtonElement {
    const b = h('button', '', { title, 'aria-label': title, 'data-action': name, type: 'button' });
    b.innerHTML = svgIcon(icon);
    this.el.appendChild(b);
    return b;
  }

  setTool(tool: Tool): void {
    for (const [t, b] of this.buttons) b.classList.toggle('ev-active', t === tool);
  }
}
