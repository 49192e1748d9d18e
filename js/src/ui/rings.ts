/** 2-D canvas overlay that draws rings around highlighted points ("label these next"). */
import type { Affine } from '../interact/camera';

export class Rings {
  readonly canvas: HTMLCanvasElement;
  private width = 0;
  private height = 0;

  constructor() {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'ev-layer';
  }

  resize(width: number, height: number): void {
    const dpr = window.devicePixelRatio || 1;
    this.width = width;
    this.height = height;
    this.canvas.width = Math.round(width * dpr);
    this.canvas.height = Math.round(height * dpr);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
  }

  draw(xy: ArrayLike<number>, cam: Affine, indices: Uint32Array, radius: number): void {
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.width, this.height);
    if (!indices.length) return;
    ctx.beginPath();
    for (const i of indices) {
      const x = xy[2 * i], y = xy[2 * i + 1];
      const px = cam.a * x + cam.b * y + cam.c, py = cam.d * x + cam.e * y + cam.f;
      if (!(px > -radius && px < this.width + radius && py > -radius && py < this.height + radius)) continue;
      ctx.moveTo(px + radius, py);
      ctx.arc(px, py, radius, 0, 2 * Math.PI);
    }
    // thin and see-through: 150 overlapping opaque rings hid whole clusters and their colours
    ctx.lineWidth = 2.5;
    ctx.strokeStyle = 'rgba(255,255,255,0.55)';
    ctx.stroke();
    ctx.lineWidth = 1.25;
    ctx.strokeStyle = 'rgba(26,26,26,0.6)'; // no label colour is near-black: a ring never reads as a label
    ctx.stroke();
  }
}
