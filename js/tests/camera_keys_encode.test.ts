import { describe, expect, it } from 'vitest';
import { apply, dataToPixels, invert, ndcToPixels, normalisationFor } from '../src/interact/camera';
import { mapKey } from '../src/interact/hotkeys';
import { encodePoints, ramp, RAMP_BINS } from '../src/render/encode';
import { PointStore } from '../src/store';

const key = (k: string, mods: Partial<Record<'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey', boolean>> = {}) =>
  mapKey({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });

describe('camera', () => {
  it('maps data to pixels through normalisation and a clip matrix, and inverts', () => {
    const xy = new Float32Array([0, 0, 10, 4, NaN, 3]);
    const norm = normalisationFor(xy, 1);
    expect(norm).toEqual({ cx: 5, cy: 2, scale: 0.2 });
    const identity = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    const cam = dataToPixels(norm, ndcToPixels(identity, 200, 100));
    expect(apply(cam, 5, 2)).toEqual([100, 50]); // centre
    expect(apply(cam, 10, 2)).toEqual([200, 50]); // right edge
    const [x, y] = apply(invert(cam), ...apply(cam, 3, 1));
    expect(x).toBeCloseTo(3, 10);
    expect(y).toBeCloseTo(1, 10);
  });

  it('gives a single point a usable scale', () => {
    expect(normalisationFor(new Float32Array([3, 4]))).toEqual({ cx: 3, cy: 4, scale: 1 });
  });
});

describe('hotkeys', () => {
  it('maps keys to the documented events', () => {
    expect(key('3')).toEqual({ kind: 'python', event: 'digit:3' });
    expect(key('0')).toBeNull();
    expect(key('z', { ctrlKey: true })).toEqual({ kind: 'python', event: 'undo' });
    expect(key('Z', { ctrlKey: true, shiftKey: true })).toEqual({ kind: 'python', event: 'redo' });
    expect(key('z', { metaKey: true, shiftKey: true })).toEqual({ kind: 'python', event: 'redo' });
    expect(key('y', { ctrlKey: true })).toEqual({ kind: 'python', event: 'redo' });
    expect(key('Delete')).toEqual({ kind: 'python', event: 'delete' });
    expect(key('Backspace')).toEqual({ kind: 'python', event: 'delete' });
    expect(key('Escape')).toEqual({ kind: 'local', action: 'clear' });
    expect(key('c', { ctrlKey: true })).toBeNull(); // copy stays with the browser
  });
});

describe('encodePoints', () => {
  const style = { pointColor: '#123456', pointSize: 0, pointOpacity: 0 };

  it('parks non-finite points and lists the drawable ones', () => {
    const enc = encodePoints({ n: 3, xy: new Float32Array([0, 0, NaN, 1, 2, 2]) }, style);
    expect(enc.nInvalid).toBe(1);
    expect(enc.valid).toEqual([0, 2]);
    expect(enc.x[1]).toBe(0);
    expect(enc.colors).toEqual(['#123456']);
  });

  it('bins continuous colour with a missing bin and joins size and opacity bins', () => {
    const enc = encodePoints({
      n: 3, xy: new Float32Array(6),
      color: { kind: 'continuous', values: new Float32Array([0, 1, NaN]), vmin: 0, vmax: 1, stops: ['#000000', '#ffffff'], missing: '#cccccc' },
      size: new Float32Array([2, 4, 6]),
      opacity: new Float32Array([0, 0.5, 1]),
    }, style);
    expect(Array.from(enc.z)).toEqual([0, RAMP_BINS - 1, RAMP_BINS]);
    expect(enc.colors[RAMP_BINS]).toBe('#cccccc');
    const w = Array.from(enc.w);
    expect(w.map((i) => enc.sizes[i])).toEqual([2, enc.sizes[w[1]], 6]);
    expect(enc.sizes[w[1]]).toBeCloseTo(4, 0);
    expect(enc.opacities[w[2]]).toBe(1);
    expect(enc.opacities[w[1]]).toBeCloseTo(0.5, 1);
  });

  it('interpolates colour ramps', () => {
    expect(ramp(['#000000', '#ffffff'], 3)).toEqual(['#000000', '#808080', '#ffffff']);
  });
});

describe('PointStore', () => {
  it('merges channel messages and ignores stale versions', () => {
    const store = new PointStore();
    const events: string[][] = [];
    store.subscribe((e) => { if (e.type === 'data') events.push(e.changed); });
    const xy = new Float32Array([1, 2, 3, 4]);
    store.handle({ type: 'channels', version: 2, n: 2, animate: false,
      channels: { xy: { dtype: 'float32', shape: [2, 2], buffers: [0] } } }, [new DataView(xy.buffer)]);
    const codes = new Uint8Array([0, 1]);
    store.handle({ type: 'channels', version: 3, n: 2, animate: false, channels: {
      color: { dtype: 'uint8', shape: [2], buffers: [0], kind: 'categorical', categories: ['a', 'b'], palette: ['#000000', '#ffffff'] },
    } }, [new DataView(codes.buffer)]);
    store.handle({ type: 'channels', version: 1, n: 2, animate: false,
      channels: { xy: { dtype: 'float32', shape: [2, 2], buffers: [0] } } }, [new DataView(new Float32Array(4).buffer)]);
    expect(events).toEqual([['xy'], ['color']]);
    expect(Array.from(store.data!.xy)).toEqual([1, 2, 3, 4]);
    expect(store.data!.color!.kind).toBe('categorical');
  });
});
