import { describe, expect, it } from 'vitest';
import { shortened, ticks } from '../src/explorer/charts';
import { routeKey, takesOffer } from '../src/explorer/keys';

const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }> = {}) => ({
  key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods,
});

describe('Explorer keys', () => {
  it('C takes an offered colouring, on the map or a button, never in a text box or as a chord', () => {
    expect(takesOffer(key('c'), 'map', 'prediction')).toBe(true);
    expect(takesOffer(key('C', { shiftKey: true }), 'other', 'prediction')).toBe(true);
    expect(takesOffer(key('c'), 'map', null)).toBe(false);       // nothing offered: a plain key
    expect(takesOffer(key('c'), 'text', 'prediction')).toBe(false);
    expect(takesOffer(key('c', { ctrlKey: true }), 'map', 'prediction')).toBe(false); // copy
    expect(takesOffer(key('x'), 'map', 'prediction')).toBe(false);
  });
  it('act on buttons as on the map', () => {
    expect(routeKey(key('3'), 'other')).toEqual({ kind: 'action', action: 'key', value: 'digit:3' });
    expect(routeKey(key('z', { ctrlKey: true }), 'other')).toEqual({ kind: 'action', action: 'key', value: 'undo' });
    expect(routeKey(key('Z', { ctrlKey: true, shiftKey: true }), 'other')).toEqual({ kind: 'action', action: 'key', value: 'redo' });
    expect(routeKey(key('y', { ctrlKey: true }), 'other')).toEqual({ kind: 'action', action: 'key', value: 'redo' });
    expect(routeKey(key('Delete'), 'other')).toEqual({ kind: 'action', action: 'key', value: 'delete' });
    expect(routeKey(key('Escape'), 'other')).toEqual({ kind: 'action', action: 'clear_selection' });
    expect(routeKey(key('p'), 'other')).toEqual({ kind: 'action', action: 'tool', value: 'pan' });
  });
  it('keep other plain keys from the host, but not Tab or chords', () => {
    for (const k of ['m', 'x', 'b', 'Enter', 'ArrowDown']) {
      expect(routeKey(key(k), 'other').kind).not.toBe('pass');
    }
    expect(routeKey(key('b'), 'other')).toEqual({ kind: 'action', action: 'tool', value: 'box' });
    expect(routeKey(key('m'), 'other')).toEqual({ kind: 'stop' });
    expect(routeKey(key('Tab'), 'other')).toEqual({ kind: 'pass' });
    expect(routeKey(key('s', { ctrlKey: true }), 'other')).toEqual({ kind: 'pass' });
  });
  it('leave text boxes their keys and the map its own handler', () => {
    expect(routeKey(key('1'), 'text')).toEqual({ kind: 'stop' });
    expect(routeKey(key('z', { ctrlKey: true }), 'text')).toEqual({ kind: 'stop' });
    expect(routeKey(key('Tab'), 'text')).toEqual({ kind: 'pass' });
    expect(routeKey(key('1'), 'map')).toEqual({ kind: 'pass' });
  });
});

describe('chart helpers', () => {
  it('ticks are round and cover the range', () => {
    expect(ticks(1)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(ticks(170)).toEqual([0, 50, 100, 150]);
    expect(ticks(0)).toEqual([0]);
  });
  it('shortens with an ellipsis', () => {
    expect(shortened('abcdef', 4)).toBe('abc…');
    expect(shortened('abc', 4)).toBe('abc');
  });
});
