let halfTable: Float32Array | undefined;

/** Every IEEE half-precision bit pattern as a float32: a 256 KiB table built once. */
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  halfTable = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits++) {
    const sign = bits & 0x8000 ? -1 : 1;
    const exponent = (bits >> 10) & 0x1f;
    const mantissa = bits & 0x3ff;
    let value: number;
    if (exponent === 0)
      value = mantissa * 2 ** -24; // zero and subnormals
    else if (exponent === 0x1f) value = mantissa === 0 ? Infinity : NaN;
    else value = (1 + mantissa / 1024) * 2 ** (exponent - 15);
    halfTable[bits] = sign * value;
  }
  return halfTable;
}

/** Element types a torch storage can hold that the heads may be saved in. */
export type StorageDtype = 'float16' | 'bfloat16' | 'float32' | 'float64';

export const DTYPE_BYTES: Readonly<Record<StorageDtype, number>> = {
  float16: 2,
  bfloat16: 2,
  float32: 4,
  float64: 8,
};

/** Decodes `count` elements of `dtype` from raw storage bytes into float32 (exact for fp16/bf16). */
export function decodeToFloat32(
  bytes: Uint8Array,
  dtype: StorageDtype,
  count: number,
  littleEndian: boolean,
): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  if (dtype === 'float16') {
    const table = halfToFloatTable();
    for (let i = 0; i < count; i++) out[i] = table[view.getUint16(i * 2, littleEndian)]!;
  } else if (dtype === 'bfloat16') {
    const widened = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) widened[i] = view.getUint16(i * 2, littleEndian) << 16;
  } else if (dtype === 'float32') {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, littleEndian);
  } else {
    for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, littleEndian);
  }
  return out;
}
