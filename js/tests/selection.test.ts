import { describe, expect, it } from 'vitest';
import { discOffsets, packColor, paintSelection, RIM, VEIL, type SelectionPaint } from '../src/render/selection';

const IDENTITY = { a: 1, b: 0, c: 0, d: 0, e: 1, f: 0 };

function paint(indices: number[], over: Partial<SelectionPaint> = {}) {
  const width = 20, height = 10;
  const px = new Uint32Array(width * height);
  const p: SelectionPaint = {
    x: new Float32Array([5, 15, NaN, 100]),
    y: new Float32Array([5, 5, 5, 5]),
    z: new Float32Array([0, 1, 0, 0]),
    w: new Float32Array([0, 0, 0, 0]),
    colors: Uint32Array.of(packColor('#ff0000'), packColor('#0000ff')),
    diameters: [1],
    toPixels: IDENTITY,
    ...over,
  };
  paintSelection(px, width, height, Uint32Array.from(indices), p);
  return { px, at: (x: number, y: number) => px[y * width + x] };
}

describe('selection layer', () => {
  it('packs #rrggbb into an ImageData pixel (bytes R, G, B, A in memory)', () => {
    const bytes = new Uint8Array(Uint32Array.of(packColor('#102030', 40)).buffer);
    expect(Array.from(bytes)).toEqual([0x10, 0x20, 0x30, 40]);
  });

  it('discs are round, centred and never empty', () => {
    expect(discOffsets(0.3).length / 2).toBe(1);
    expect(discOffsets(1).length / 2).toBe(1);
    expect(discOffsets(2).length / 2).toBe(4);
    const d6 = discOffsets(6);
    const n = d6.length / 2;
    expect(n).toBeGreaterThan(20); // most of the 36-pixel square
    expect(n).toBeLessThan(36); // but not its corners
  });

  it('an empty selection leaves the layer transparent', () => {
    const { px } = paint([]);
    expect(px.every((v) => v === 0)).toBe(true);
  });

  it('fades everything, then draws each selected point opaque in its colour over a rim', () => {
    const { at } = paint([0]);
    expect(at(5, 5)).toBe(packColor('#ff0000')); // the point, in its own colour
    expect(at(4, 5)).toBe(packColor(RIM)); // rim next to it
    expect(at(15, 5)).toBe(VEIL); // unselected point: veiled
    expect(at(0, 0)).toBe(VEIL);
  });

  it('uses each point\'s colour, skips NaN and off-screen points, applies the transform', () => {
    const { at, px } = paint([1, 2, 3], { toPixels: { a: 1, b: 0, c: -1, d: 0, e: 1, f: 2 } });
    expect(at(14, 7)).toBe(packColor('#0000ff'));
    const veil = VEIL, rim = packColor(RIM);
    const painted = Array.from(px).filter((v) => v !== veil && v !== rim);
    expect(painted).toEqual([packColor('#0000ff')]); // only point 1 is on screen and finite
  });
});
