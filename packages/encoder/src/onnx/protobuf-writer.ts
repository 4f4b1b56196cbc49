/**
 * The few protobuf wire-format pieces needed to write an ONNX model: varints, length-delimited
 * fields, fixed 32-bit floats. A message is built as a list of chunks and joined once, so nested
 * messages cost one copy each.
 */
export class ProtobufWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  /** Field with wire type 0 (varint): int32, int64, enum, bool. Negative numbers use 10 bytes. */
  varint(field: number, value: number | bigint): this {
    this.tag(field, 0);
    this.rawVarint(BigInt.asUintN(64, BigInt(value)));
    return this;
  }

  /** Field with wire type 5: one IEEE float. */
  float(field: number, value: number): this {
    this.tag(field, 5);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.push(bytes);
    return this;
  }

  /** Field with wire type 2: bytes, a UTF-8 string, a nested message or a packed repeated field. */
  bytes(field: number, value: Uint8Array | string | ProtobufWriter): this {
    const payload =
      typeof value === 'string'
        ? new TextEncoder().encode(value)
        : value instanceof ProtobufWriter
          ? value.finish()
          : value;
    this.tag(field, 2);
    this.rawVarint(BigInt(payload.length));
    this.push(payload);
    return this;
  }

  /** A packed repeated int64 field (e.g. `ints` of an attribute, `dims` of a tensor). */
  packedVarints(field: number, values: readonly number[]): this {
    const inner = new ProtobufWriter();
    for (const value of values) inner.rawVarint(BigInt.asUintN(64, BigInt(value)));
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  private tag(field: number, wireType: number): void {
    this.rawVarint(BigInt(field) * 8n + BigInt(wireType));
  }

  private rawVarint(value: bigint): void {
    const bytes: number[] = [];
    let rest = value;
    do {
      let byte = Number(rest & 0x7fn);
      rest >>= 7n;
      if (rest > 0n) byte |= 0x80;
      bytes.push(byte);
    } while (rest > 0n);
    this.push(Uint8Array.from(bytes));
  }

  private push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }
}
