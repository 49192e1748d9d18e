/**
 * Keys for the whole Explorer, handled once at its root: the map handles its own keys (and
 * stops them); on the Explorer's buttons the same keys act as on the map; text boxes keep
 * their keys. Nothing pressed inside the Explorer reaches the host's shortcuts (JupyterLab's
 * command mode made the cell Markdown on M and cut it on X), Tab and Ctrl/Cmd chords aside.
 * C takes the colouring the status line offers (after a retrain: the predictions), wherever
 * the focus is but a text box; without an offer it is a plain key like any other.
 */
import { mapKey, type KeyLike } from '../interact/hotkeys';

export type Where = 'map' | 'text' | 'other';
export type Route =
  | { kind: 'pass' } // not ours: let it go on (Tab, Ctrl/Cmd chords)
  | { kind: 'stop' } // keep it from the host, keep its default (Enter clicks a button)
  | { kind: 'action'; action: 'key' | 'clear_selection' | 'tool'; value?: string };

export function routeKey(e: KeyLike, where: Where): Route {
  if (where === 'map') return { kind: 'pass' }; // the map's own listener acted and stopped it
  const chord = e.ctrlKey || e.metaKey;
  if (where === 'text') return e.key === 'Tab' ? { kind: 'pass' } : { kind: 'stop' };
  const result = mapKey(e);
  if (result === null) return e.key === 'Tab' || chord ? { kind: 'pass' } : { kind: 'stop' };
  if (result.kind === 'python') return { kind: 'action', action: 'key', value: result.event };
  if (result.action === 'clear') return { kind: 'action', action: 'clear_selection' };
  return { kind: 'action', action: 'tool', value: result.action.slice(5) };
}

/** The key that takes the offered colouring. */
export const OFFER_KEY = 'c';

/** Does this key take the colouring `offer` (null: none offered)? */
export function takesOffer(e: KeyLike, where: Where, offer: string | null | undefined): boolean {
  if (!offer || where === 'text' || e.ctrlKey || e.metaKey || e.altKey) return false;
  return e.key.toLowerCase() === OFFER_KEY;
}
