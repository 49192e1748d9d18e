import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** regl-scatterplot stand-in: its draw() resolves only when the test lets it. */
const pendingDraws: Array<() => void> = [];
vi.mock('regl-scatterplot', () => ({
  default: () => ({
    subscribe: () => undefined,
    set: async () => undefined,
    draw: () => new Promise<void>((resolve) => pendingDraws.push(resolve)),
    get: (key: string) => (key === 'camera' ? { scaling: [1] } : Float32Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1)),
    destroy: () => undefined,
    redraw: () => undefined,
  }),
  createRenderer: () => ({
    regl: Object.assign(() => () => undefined, { buffer: () => ({ destroy: () => undefined }), prop: () => undefined }),
    render: (draw: () => void) => draw(),
    canvas: { width: 40, height: 20 },
    destroy: () => undefined,
  }),
}));

/** What the 2-D selection layer was last told: 'painted' (a selection shown) or 'cleared'. */
let layerState: 'painted' | 'cleared' | 'untouched' = 'untouched';

function fakeCanvas() {
  return {
    width: 0, height: 0, style: {}, className: '',
    after: () => undefined,
    getContext: () => ({
      clearRect: () => { layerState = 'cleared'; },
      createImageData: (w: number, h: number) => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4) }),
      putImageData: () => { layerState = 'painted'; },
    }),
  };
}

beforeEach(() => {
  layerState = 'untouched';
  pendingDraws.length = 0;
  vi.stubGlobal('document', { createElement: fakeCanvas });
  vi.stubGlobal('window', { devicePixelRatio: 1 });
  vi.stubGlobal('requestAnimationFrame', () => 0);
  vi.stubGlobal('cancelAnimationFrame', () => undefined);
});
afterEach(() => vi.unstubAllGlobals());

describe('ReglRenderer selection', () => {
  it('a selection cleared while a draw is in flight stays cleared when the draw ends', async () => {
    const { ReglRenderer } = await import('../src/render/regl');
    const { encodePoints } = await import('../src/render/encode');
    const renderer = new ReglRenderer(fakeCanvas() as never, 40, 20, { onHover: () => undefined, onView: () => undefined });
    const points = encodePoints({ n: 3, xy: Float32Array.of(0, 0, 1, 1, 2, 0) }, { pointColor: '#123456', pointSize: 0, pointOpacity: 0 });

    const first = renderer.draw(points, { animate: false, durationMs: 0 });
    await vi.waitFor(() => expect(pendingDraws.length).toBe(1));
    pendingDraws[0]();
    await first;
    renderer.select(Uint32Array.of(0, 1)); // a lasso: shown on the layer
    expect(layerState).toBe('painted');

    // new colours arrive (a label was given), and while they draw the selection is cleared
    const recolour = renderer.draw(points, { animate: false, durationMs: 0 });
    await vi.waitFor(() => expect(pendingDraws.length).toBe(2));
    renderer.select(new Uint32Array(0));
    expect(layerState).toBe('cleared');
    pendingDraws[1]();
    await recolour;
    expect(layerState).toBe('cleared'); // was 'painted': the draw brought the old selection back
  });
});
