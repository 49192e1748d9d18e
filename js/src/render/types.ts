/** The small interface the widget draws through; no model access behind it. */
import type { EncodedPoints } from './encode';
import type { OutlinePoints } from './outline';

export interface DrawOptions {
  animate: boolean;
  durationMs: number;
}

export interface RendererCallbacks {
  /** index under the mouse, -1 when none */
  onHover(index: number): void;
  /** the camera moved (pan, zoom, animation frame) */
  onView(): void;
}

export interface Renderer {
  readonly canvas: HTMLCanvasElement;
  draw(points: EncodedPoints, options: DrawOptions): Promise<void>;
  /** Show `indices` as selected (does not emit events); the latest call wins over any draw
   *  still in flight. */
  select(indices: Uint32Array): void;
  /** Replace the outlines of the points as drawn (null: none); nothing else is redrawn. */
  setOutline(outline: OutlinePoints | null): void;
  /** 4x4 column-major matrix from normalised coordinates to clip space. */
  clipMatrix(): Float32Array;
  /** Current point size scale factor relative to the configured size. */
  pointScale(): number;
  zoomToPoints(indices: Uint32Array, padding: number): Promise<void>;
  resetView(animate: boolean): Promise<void>;
  resize(width: number, height: number): void;
  destroy(): void;
}
