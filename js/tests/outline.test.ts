import { describe, expect, it } from 'vitest';
import { encodePoints } from '../src/render/encode';
import { cubicInOut, encodeOutline, startPositions } from '../src/render/outline';
import type { PointData } from '../src/store';

const style = { pointColor: '#123456', pointSize: 0, pointOpacity: 0 };

function data(codes: number[], palette: string[], xy?: number[]): PointData {
  const n = codes.length;
  return {
    n,
    xy: Float32Array.from(xy ?? Array.from({ length: 2 * n }, (_, i) => i)),
    outline: { codes: Int8Array.from(codes), palette },
  };
}

describe('encodeOutline', () => {
  it('keeps the outlined points with their palette colour, position and size', () => {
    const d = data([-1, 1, 0, -1], ['#ff0000', '#00ff80']);
    const points = encodePoints(d, style);
    const out = encodeOutline(d, points)!;
    expect(out.count).toBe(2);
    expect(Array.from(out.index)).toEqual([1, 2]);
    expect(Array.from(out.rgba)).toEqual([0, 255, 128, 255, 255, 0, 0, 255]);
    expect(out.x[0]).toBe(points.x[1]);
    expect(out.y[1]).toBe(points.y[2]);
    expect(out.size[0]).toBe(points.sizes[points.w[1]]);
  });

  it('draws no ring for -1, for a point without a position, or with no outline at all', () => {
    expect(encodeOutline(data([-1, -1], ['#ff0000']), encodePoints(data([-1, -1], ['#ff0000']), style))).toBeNull();
    const d = data([0, 0, 0], ['#ff0000'], [0, 0, NaN, 1, 2, 2]);
    expect(Array.from(encodeOutline(d, encodePoints(d, style))!.index)).toEqual([0, 2]);
    const none: PointData = { n: 2, xy: Float32Array.of(0, 0, 1, 1) };
    expect(encodeOutline(none, encodePoints(none, style))).toBeNull();
  });

  it('rings start an animation where their points were', () => {
    const before = data([0, -1, 0], ['#ff0000'], [0, 0, 1, 1, 2, 2]);
    const after = data([0, -1, 0], ['#ff0000'], [2, 2, 1, 1, 0, 0]);
    const prev = encodePoints(before, style), next = encodePoints(after, style);
    const from = startPositions(encodeOutline(after, next)!, prev);
    expect(Array.from(from)).toEqual([prev.x[0], prev.y[0], prev.x[2], prev.y[2]]);
    expect(cubicInOut(0)).toBe(0);
    expect(cubicInOut(1)).toBe(1);
    expect(cubicInOut(0.5)).toBeCloseTo(0.5);
  });
});
