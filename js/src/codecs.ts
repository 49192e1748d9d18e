/**
 * Binary wire formats shared with embedviz/widget/codecs.py.
 * Every decoder honours the incoming view's byteOffset/byteLength: a DataView handed to
 * us by the widget manager usually points into a larger ArrayBuffer.
 */

export type NumericArray =
  | Float32Array | Int32Array | Uint32Array | Uint16Array | Uint8Array | Int8Array | Int16Array;

export interface WireHeader {
  dtype: string;
  shape: number[];
}

type Ctor = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): NumericArray; BYTES_PER_ELEMENT: number };

const DTYPES: Record<string, Ctor> = {
  float32: Float32Array, int32: Int32Array, uint32: Uint32Array,
  uint16: Uint16Array, uint8: Uint8Array, int8: Int8Array, int16: Int16Array,
};

/** Bytes of any binary value the widget manager may hand over, as a Uint8Array view. */
export function asBytes(value: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/** Decode one numeric buffer described by `header` (zero-copy when aligned). */
export function decodeArray(header: WireHeader, value: ArrayBuffer | ArrayBufferView): NumericArray {
  const ctor = DTYPES[header.dtype];
  if (!ctor) throw new Error(`embedviz: unsupported dtype ${header.dtype}`);
  const bytes = asBytes(value);
  const expected = header.shape.reduce((a, b) => a * b, 1);
  if (bytes.byteLength !== expected * ctor.BYTES_PER_ELEMENT) {
    throw new Error(`embedviz: buffer has ${bytes.byteLength} bytes, expected ` +
      `${expected} x ${header.dtype} for shape [${header.shape}]`);
  }
  if (bytes.byteOffset % ctor.BYTES_PER_ELEMENT === 0) {
    return new ctor(bytes.buffer, bytes.byteOffset, expected);
  }
  const copy = bytes.slice(); // misaligned: copy to a fresh, aligned buffer
  return new ctor(copy.buffer, 0, expected);
}

/** Strings packed as UTF-8 bytes + uint32 end offsets; decoded lazily, one at a time. */
export class StringColumn {
  private readonly ends: Uint32Array;
  private readonly data: Uint8Array;
  private readonly decoder = new TextDecoder();

  constructor(offsets: ArrayBuffer | ArrayBufferView, data: ArrayBuffer | ArrayBufferView) {
    const n = asBytes(offsets).byteLength / 4;
    this.ends = decodeArray({ dtype: 'uint32', shape: [n] }, offsets) as Uint32Array;
    this.data = asBytes(data);
  }

  get length(): number {
    return this.ends.length;
  }

  get(i: number): string {
    if (i < 0 || i >= this.ends.length) return '';
    const start = i === 0 ? 0 : this.ends[i - 1];
    return this.decoder.decode(this.data.subarray(start, this.ends[i]));
  }
}

/** Index set (selection/highlight) from a model value: raw uint32 buffer or JSON list. */
export function decodeIndices(value: unknown): Uint32Array {
  if (value == null) return new Uint32Array(0);
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    const bytes = asBytes(value as ArrayBufferView);
    return decodeArray({ dtype: 'uint32', shape: [bytes.byteLength >> 2] }, bytes) as Uint32Array;
  }
  if (Array.isArray(value)) return Uint32Array.from(value as number[]);
  throw new Error(`embedviz: cannot decode indices from ${typeof value}`);
}

/** Index set as a DataView over its own buffer, ready for model.set(). */
export function encodeIndices(indices: Uint32Array): DataView {
  const copy = indices.slice();
  return new DataView(copy.buffer, 0, copy.byteLength);
}

/**
 * Selection for the wire: uint32 indices, or a bitmask (bit i of byte i>>3, LSB first)
 * when that is smaller, i.e. when more than 1/32 of the points are selected. Large
 * WebSocket messages are flushed in main-thread tasks, which wait behind slow frames.
 */
export function encodeSelection(indices: Uint32Array, n: number): { encoding: 'indices' | 'bitmask'; view: DataView } {
  if (indices.length * 4 <= Math.ceil(n / 8)) return { encoding: 'indices', view: encodeIndices(indices) };
  const bits = new Uint8Array(Math.ceil(n / 8));
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    bits[i >> 3] |= 1 << (i & 7);
  }
  return { encoding: 'bitmask', view: new DataView(bits.buffer) };
}
