import { describe, expect, it } from 'vitest';
import { decodeArray, decodeIndices, encodeIndices, encodeSelection, StringColumn } from '../src/codecs';

describe('decodeArray', () => {
  it('honours byteOffset and byteLength of a view into a larger buffer', () => {
    const backing = new ArrayBuffer(64);
    new Float32Array(backing, 16, 4).set([1.5, -2, 3, 4]);
    const view = new DataView(backing, 16, 16);
    const out = decodeArray({ dtype: 'float32', shape: [2, 2] }, view);
    expect(Array.from(out)).toEqual([1.5, -2, 3, 4]);
    expect(out.buffer).toBe(backing); // zero-copy when aligned
  });

  it('copies a misaligned view instead of failing', () => {
    const backing = new ArrayBuffer(13);
    const bytes = new Uint8Array(backing);
    new Uint8Array(new Uint32Array([7, 9, 11]).buffer).forEach((b, i) => { bytes[1 + i] = b; });
    const out = decodeArray({ dtype: 'uint32', shape: [3] }, new DataView(backing, 1, 12));
    expect(Array.from(out)).toEqual([7, 9, 11]);
  });

  it('rejects a buffer whose size does not match the shape', () => {
    expect(() => decodeArray({ dtype: 'float32', shape: [3] }, new ArrayBuffer(8))).toThrow(/expected 3/);
    expect(() => decodeArray({ dtype: 'float64', shape: [1] }, new ArrayBuffer(8))).toThrow(/unsupported/);
  });
});

describe('StringColumn', () => {
  it('decodes UTF-8 strings lazily from end offsets', () => {
    const words = ['a', '', 'ünï ✓', 'zz'];
    const enc = new TextEncoder();
    const parts = words.map((w) => enc.encode(w));
    const ends = new Uint32Array(parts.length);
    let total = 0;
    parts.forEach((p, i) => { total += p.length; ends[i] = total; });
    const data = new Uint8Array(total + 3); // offset data inside a bigger buffer
    let at = 3;
    for (const p of parts) { data.set(p, at); at += p.length; }
    const col = new StringColumn(new DataView(ends.buffer), new DataView(data.buffer, 3, total));
    expect(col.length).toBe(4);
    expect(words.map((_, i) => col.get(i))).toEqual(words);
    expect(col.get(99)).toBe('');
  });
});

describe('indices', () => {
  it('round-trips through a DataView and accepts JSON lists', () => {
    const sel = Uint32Array.of(3, 1, 4000000000);
    const view = encodeIndices(sel);
    expect(view).toBeInstanceOf(DataView);
    expect(Array.from(decodeIndices(view))).toEqual([3, 1, 4000000000]);
    expect(Array.from(decodeIndices([1, 2]))).toEqual([1, 2]);
    expect(decodeIndices(null).length).toBe(0);
  });
});

describe('encodeSelection', () => {
  it('sends indices when few are selected and a LSB-first bitmask when many are', () => {
    const few = encodeSelection(Uint32Array.of(3), 1000);
    expect(few.encoding).toBe('indices');
    const many = encodeSelection(Uint32Array.of(0, 2, 9, 15), 16);
    expect(many.encoding).toBe('bitmask');
    expect(Array.from(new Uint8Array(many.view.buffer))).toEqual([0b0000_0101, 0b1000_0010]);
  });
});
