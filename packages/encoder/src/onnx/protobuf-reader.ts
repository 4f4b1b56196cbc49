/** One field of a protobuf message: varints as bigint, length-delimited payloads as views. */
export type ProtobufField =
  | { readonly field: number; readonly wireType: 0; readonly value: bigint }
  | { readonly field: number; readonly wireType: 1 | 5; readonly value: Uint8Array }
  | { readonly field: number; readonly wireType: 2; readonly value: Uint8Array };

/** Thrown on bytes that are not a well-formed protobuf message; callers name the file. */
export class ProtobufFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtobufFormatError';
  }
}

/** Reads the top-level fields of one message, in order, without copying payloads. */
export function* readProtobufFields(bytes: Uint8Array): Generator<ProtobufField> {
  let offset = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (offset >= bytes.length) throw new ProtobufFormatError('truncated varint');
      const byte = bytes[offset++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new ProtobufFormatError('varint longer than 10 bytes');
    }
  };
  const take = (length: number): Uint8Array => {
    if (offset + length > bytes.length)
      throw new ProtobufFormatError('field runs past the end of the message');
    const view = bytes.subarray(offset, offset + length);
    offset += length;
    return view;
  };
  while (offset < bytes.length) {
    const key = readVarint();
    const field = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (field === 0) throw new ProtobufFormatError('field number 0');
    if (wireType === 0) yield { field, wireType, value: readVarint() };
    else if (wireType === 1) yield { field, wireType, value: take(8) };
    else if (wireType === 5) yield { field, wireType, value: take(4) };
    else if (wireType === 2) yield { field, wireType, value: take(Number(readVarint())) };
    else throw new ProtobufFormatError(`unsupported wire type ${wireType}`);
  }
}

export function decodeUtf8(bytes: Uint8Array): string {
  return new TextDecoder('utf-8').decode(bytes);
}
