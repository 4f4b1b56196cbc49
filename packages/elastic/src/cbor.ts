import { InvalidInputError } from '@m3kit/core';

/** A decoded CBOR value: byte strings stay Uint8Array views into the response (no copy). */
export type CborValue =
  | number
  | bigint
  | string
  | boolean
  | null
  | undefined
  | Uint8Array
  | CborValue[]
  | { [key: string]: CborValue };

const BREAK = Symbol('break');

/**
 * Decodes one CBOR item (RFC 8949): the subset Elasticsearch's CBOR responses use — integers,
 * byte and text strings (definite or chunked), arrays and maps (definite or indefinite), simple
 * values and floats; tags are skipped. Why CBOR at all: a ColBERT fetch returns tens of MiB of
 * binary fields, which JSON carries as base64 (a third larger, and parsed as huge strings), while
 * CBOR carries the bytes as they are.
 */
export function decodeCbor(bytes: Uint8Array): CborValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder();
  let offset = 0;

  const need = (count: number): void => {
    if (offset + count > bytes.byteLength) throw new InvalidInputError('truncated CBOR response');
  };
  const argument = (info: number): number | bigint => {
    if (info < 24) return info;
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
    if (size === 0) throw new InvalidInputError(`unsupported CBOR length encoding ${info}`);
    need(size);
    const at = offset;
    offset += size;
    if (size === 1) return view.getUint8(at);
    if (size === 2) return view.getUint16(at);
    if (size === 4) return view.getUint32(at);
    const big = view.getBigUint64(at);
    return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  };
  const length = (info: number): number => {
    const value = argument(info);
    if (typeof value !== 'number') throw new InvalidInputError('CBOR item too long');
    return value;
  };
  const chunks = (major: number): Uint8Array[] => {
    const parts: Uint8Array[] = [];
    for (;;) {
      need(1);
      if (bytes[offset] === 0xff) {
        offset++;
        return parts;
      }
      const head = bytes[offset++]!;
      if (head >> 5 !== major) throw new InvalidInputError('malformed chunked CBOR string');
      const size = length(head & 31);
      need(size);
      parts.push(bytes.subarray(offset, offset + size));
      offset += size;
    }
  };
  const join = (parts: Uint8Array[]): Uint8Array => {
    const out = new Uint8Array(parts.reduce((sum, p) => sum + p.byteLength, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.byteLength;
    }
    return out;
  };

  const item = (): CborValue | typeof BREAK => {
    need(1);
    const head = bytes[offset++]!;
    const major = head >> 5;
    const info = head & 31;
    switch (major) {
      case 0:
        return argument(info);
      case 1: {
        const value = argument(info);
        return typeof value === 'bigint' ? -1n - value : -1 - value;
      }
      case 2:
      case 3: {
        let raw: Uint8Array;
        if (info === 31) raw = join(chunks(major));
        else {
          const size = length(info);
          need(size);
          raw = bytes.subarray(offset, offset + size);
          offset += size;
        }
        return major === 2 ? raw : text.decode(raw);
      }
      case 4: {
        const array: CborValue[] = [];
        if (info === 31) {
          for (let value = item(); value !== BREAK; value = item()) array.push(value);
        } else {
          for (let i = length(info); i > 0; i--) array.push(expectValue(item()));
        }
        return array;
      }
      case 5: {
        const map: { [key: string]: CborValue } = {};
        const entries = info === 31 ? Number.POSITIVE_INFINITY : length(info);
        for (let i = 0; i < entries; i++) {
          const key = item();
          if (key === BREAK && info === 31) break;
          map[String(expectValue(key))] = expectValue(item());
        }
        return map;
      }
      case 6:
        argument(info); // a tag: its content follows as the next item
        return item();
      default:
        return simple(info);
    }
  };
  const simple = (info: number): CborValue | typeof BREAK => {
    switch (info) {
      case 20:
        return false;
      case 21:
        return true;
      case 22:
        return null;
      case 23:
        return undefined;
      case 25:
        need(2);
        offset += 2;
        return halfToNumber(view.getUint16(offset - 2));
      case 26:
        need(4);
        offset += 4;
        return view.getFloat32(offset - 4);
      case 27:
        need(8);
        offset += 8;
        return view.getFloat64(offset - 8);
      case 31:
        return BREAK;
      default:
        if (info < 24) return info;
        need(1);
        return bytes[offset++]!;
    }
  };
  const expectValue = (value: CborValue | typeof BREAK): CborValue => {
    if (value === BREAK) throw new InvalidInputError('unexpected CBOR break');
    return value;
  };

  return expectValue(item());
}

function halfToNumber(half: number): number {
  const exponent = (half >> 10) & 0x1f;
  const fraction = half & 0x3ff;
  const sign = half & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
