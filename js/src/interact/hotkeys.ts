/**
 * Keyboard map. Events forwarded to Python (Scatter.on_key):
 *   'digit:1'..'digit:9'  keys 1-9 (no Ctrl/Cmd/Alt)
 *   'undo'                Ctrl/Cmd+Z
 *   'redo'                Ctrl/Cmd+Shift+Z, Ctrl/Cmd+Y
 *   'delete'              Delete, Backspace
 * Local actions (handled in the browser): Escape clears the selection; L/B/P pick the
 * lasso, box and pan tools.
 */
export type KeyEvent = `digit:${number}` | 'undo' | 'redo' | 'delete';
export type LocalAction = 'clear' | 'tool:lasso' | 'tool:box' | 'tool:pan';
export type KeyResult = { kind: 'python'; event: KeyEvent } | { kind: 'local'; action: LocalAction } | null;

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

export function mapKey(e: KeyLike): KeyResult {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (mod && !e.altKey) {
    if (key === 'z') return { kind: 'python', event: e.shiftKey ? 'redo' : 'undo' };
    if (key === 'y') return { kind: 'python', event: 'redo' };
    return null;
  }
  if (e.altKey) return null;
  if (/^[1-9]$/.test(key)) return { kind: 'python', event: `digit:${Number(key)}` };
  if (key === 'Delete' || key === 'Backspace') return { kind: 'python', event: 'delete' };
  if (key === 'Escape') return { kind: 'local', action: 'clear' };
  if (key === 'l') return { kind: 'local', action: 'tool:lasso' };
  if (key === 'b') return { kind: 'local', action: 'tool:box' };
  if (key === 'p') return { kind: 'local', action: 'tool:pan' };
  return null;
}
