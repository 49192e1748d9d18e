/**
 * Per-model point data, filled from the kernel's `channels` messages.
 * One store per widget model (created in the widget factory, never global); views
 * subscribe to it and unsubscribe in their cleanup.
 */
import { decodeArray, decodeIndices, StringColumn, type WireHeader } from './codecs';
import type { RegionName } from './ui/names';

export interface CategoricalColor {
  kind: 'categorical';
  codes: Uint8Array | Uint16Array;
  categories: string[];
  palette: string[];
}

export interface ContinuousColor {
  kind: 'continuous';
  values: Float32Array;
  vmin: number;
  vmax: number;
  stops: string[];
  missing: string;
}

export type ColorChannel = CategoricalColor | ContinuousColor;

/** A ring around each point: `codes` index `palette`, -1 draws none. */
export interface OutlineChannel {
  codes: Int8Array | Int16Array;
  palette: string[];
}

export interface PointData {
  n: number;
  xy: Float32Array;
  color?: ColorChannel;
  size?: Float32Array;
  opacity?: Float32Array;
  tooltip?: StringColumn;
  outline?: OutlineChannel;
}

export type StoreEvent =
  | { type: 'data'; changed: string[]; animate: boolean }
  | { type: 'zoom_to'; indices: Uint32Array; padding: number }
  | { type: 'reset_view' }
  | { type: 'focus' }
  | { type: 'selection'; origin: string | null; indices: Uint32Array }
  | { type: 'names'; names: RegionName[] };

type ChannelHeader = WireHeader & { buffers: number[] } & Record<string, unknown>;

export interface ChannelsMessage {
  type: 'channels';
  version: number;
  n: number;
  animate: boolean;
  channels: Record<string, ChannelHeader>;
}

export class PointStore {
  data: PointData | null = null;
  /** The latest selection made in a view (the model's copy is not updated by lassos). */
  selection: Uint32Array | null = null;
  names: RegionName[] = [];
  private version = 0;
  private listeners = new Set<(event: StoreEvent) => void>();

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Apply one custom message from the kernel; unknown messages are ignored. */
  handle(msg: { type?: string } & Record<string, unknown>, buffers: DataView[]): void {
    if (msg.type === 'channels') this.applyChannels(msg as unknown as ChannelsMessage, buffers);
    else if (msg.type === 'clear_channel') this.clearChannel(String(msg.name));
    else if (msg.type === 'zoom_to') {
      this.emit({ type: 'zoom_to', indices: decodeIndices(buffers[0]), padding: Number(msg.padding) });
    } else if (msg.type === 'reset_view') this.emit({ type: 'reset_view' });
    else if (msg.type === 'focus') this.emit({ type: 'focus' });
    else if (msg.type === 'selection') {
      this.selection = decodeIndices(buffers[0]);
      this.emit({ type: 'selection', origin: (msg.origin as string | null) ?? null, indices: this.selection });
    } else if (msg.type === 'names') {
      this.names = (msg.names as RegionName[]) ?? [];
      this.emit({ type: 'names', names: this.names });
    }
  }

  private applyChannels(msg: ChannelsMessage, buffers: DataView[]): void {
    if (msg.version <= this.version) return; // a stale reply to an older request
    this.version = msg.version;
    const next: PointData = this.data && this.data.n === msg.n ? { ...this.data } : { n: msg.n, xy: new Float32Array(0) };
    for (const [name, header] of Object.entries(msg.channels)) {
      const bufs = header.buffers.map((i) => buffers[i]);
      if (name === 'xy') next.xy = decodeArray(header, bufs[0]) as Float32Array;
      else if (name === 'size') next.size = decodeArray(header, bufs[0]) as Float32Array;
      else if (name === 'opacity') next.opacity = decodeArray(header, bufs[0]) as Float32Array;
      else if (name === 'tooltip') next.tooltip = new StringColumn(bufs[0], bufs[1]);
      else if (name === 'color') next.color = decodeColor(header, bufs[0]);
      else if (name === 'outline') {
        next.outline = { codes: decodeArray(header, bufs[0]) as Int8Array | Int16Array, palette: header.palette as string[] };
      }
    }
    if (next.xy.length !== 2 * next.n) return; // positions not received yet
    this.data = next;
    this.emit({ type: 'data', changed: Object.keys(msg.channels), animate: msg.animate });
  }

  private clearChannel(name: string): void {
    if (!this.data) return;
    const next = { ...this.data } as PointData & Record<string, unknown>;
    delete next[name];
    this.data = next;
    this.emit({ type: 'data', changed: [name], animate: false });
  }

  private emit(event: StoreEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }
}

function decodeColor(header: ChannelHeader, buffer: DataView): ColorChannel {
  if (header.kind === 'categorical') {
    return {
      kind: 'categorical',
      codes: decodeArray(header, buffer) as Uint8Array | Uint16Array,
      categories: header.categories as string[],
      palette: header.palette as string[],
    };
  }
  return {
    kind: 'continuous',
    values: decodeArray(header, buffer) as Float32Array,
    vmin: Number(header.vmin),
    vmax: Number(header.vmax),
    stops: header.stops as string[],
    missing: String(header.missing),
  };
}
