import { describe, expect, it } from 'vitest';
import { cullOverlaps, fontSize, priority, type Box, type RegionName } from '../src/ui/names';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

const overlap = (a: Box, b: Box) =>
  a.left < b.left + b.width && b.left < a.left + a.width && a.top < b.top + b.height && b.top < a.top + a.height;

describe('cullOverlaps', () => {
  it('keeps no two overlapping boxes among 500 random names, and drops only what collides', () => {
    const r = rng(7);
    const boxes: Box[] = Array.from({ length: 500 }, () => ({
      left: r() * 900, top: r() * 500, width: 30 + r() * 120, height: 12 + r() * 8,
    }));
    const order = boxes.map((_, i) => i);
    const shown = cullOverlaps(boxes, order, 0);
    const kept = boxes.filter((_, i) => shown[i]);
    for (let i = 0; i < kept.length; i++) {
      for (let j = i + 1; j < kept.length; j++) expect(overlap(kept[i], kept[j])).toBe(false);
    }
    // every dropped box collides with a kept one that came before it (greedy, not lossy)
    boxes.forEach((b, i) => {
      if (!shown[i]) expect(kept.some((k) => overlap(b, k))).toBe(true);
    });
    expect(kept.length).toBeGreaterThan(20);
  });

  it('places in the given order: the first of two colliding names wins', () => {
    const a = { left: 0, top: 0, width: 50, height: 10 };
    const b = { left: 40, top: 5, width: 50, height: 10 };
    expect(cullOverlaps([a, b], [0, 1])).toEqual([true, false]);
    expect(cullOverlaps([a, b], [1, 0])).toEqual([false, true]);
    expect(cullOverlaps([a, b], [0])).toEqual([true, false]); // not a candidate: not shown
  });

  it('keeps a gap of pad pixels between names', () => {
    const a = { left: 0, top: 0, width: 50, height: 10 };
    const b = { left: 52, top: 0, width: 50, height: 10 };
    expect(cullOverlaps([a, b], [0, 1], 0)).toEqual([true, true]);
    expect(cullOverlaps([a, b], [0, 1], 3)).toEqual([true, false]);
  });
});

describe('priority and font size', () => {
  const name = (id: number, level: number, size: number): RegionName => ({
    id, name: `r${id}`, x: 0, y: 0, level, size, keywords: [], bbox: [0, 0, 1, 1], parent: false,
  });

  it('orders coarse before fine and big before small', () => {
    const names = [name(0, 1, 50), name(1, 0, 10), name(2, 1, 80), name(3, 0, 300)];
    expect(priority(names)).toEqual([3, 1, 2, 0]);
  });

  it('draws coarse and big regions larger', () => {
    expect(fontSize(0, 100, 100)).toBeGreaterThan(fontSize(1, 100, 100));
    expect(fontSize(1, 100, 100)).toBeGreaterThan(fontSize(1, 10, 100));
    expect(fontSize(5, 1, 100)).toBeGreaterThanOrEqual(8);
  });
});
