import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TINY_MODEL } from '../test-support/fixtures.js';
import { decodeToFloat32 } from './float-conversion.js';
import { readTorchStateDict } from './state-dict.js';
import { ZipArchive, crc32 } from './zip-archive.js';

// Made by scripts/make_pt_fixtures.py with torch (see its docstring).
const TEST_FIXTURES = fileURLToPath(new URL('../../test-fixtures/', import.meta.url));
const expected = JSON.parse(readFileSync(`${TEST_FIXTURES}expected.json`, 'utf8')) as Record<
  string,
  Record<string, { shape: number[]; dtype: string; values: number[] }>
>;

describe('readTorchStateDict', () => {
  it.each(['linear-ordered.pt', 'mixed.pt'])('reads %s exactly as torch.load does', (file) => {
    const tensors = readTorchStateDict(readFileSync(`${TEST_FIXTURES}${file}`));
    const want = expected[file]!;
    expect([...tensors.keys()].sort()).toEqual(Object.keys(want).sort());
    for (const [name, tensor] of tensors) {
      expect(tensor.shape, name).toEqual(want[name]!.shape);
      expect(tensor.savedAs, name).toBe(want[name]!.dtype);
      // fp16 and bf16 widen to float32 exactly; float64 rounds to the nearest float32, as .float() does.
      expect(Array.from(tensor.data), name).toEqual(
        Array.from(Float32Array.from(want[name]!.values)),
      );
    }
  });

  it('reads the fixture model heads as fp16 Linear layers', () => {
    const colbert = readTorchStateDict(readFileSync(`${TINY_MODEL}/colbert_linear.pt`));
    const sparse = readTorchStateDict(readFileSync(`${TINY_MODEL}/sparse_linear.pt`));
    expect(colbert.get('weight')!.shape).toEqual([32, 32]);
    expect(colbert.get('bias')!.shape).toEqual([32]);
    expect(sparse.get('weight')!.shape).toEqual([1, 32]);
    expect(colbert.get('weight')!.savedAs).toBe('float16');
    // Every value is a half-precision number: at most 11 significant bits (normal range here).
    const isHalf = (value: number) => {
      if (value === 0) return true;
      const exponent = Math.floor(Math.log2(Math.abs(value)));
      return exponent >= -14 && Number.isInteger(Math.abs(value) / 2 ** (exponent - 10));
    };
    const weights = Array.from(colbert.get('weight')!.data);
    expect(weights.every(isHalf)).toBe(true);
    expect(isHalf(0.1)).toBe(false);
  });

  it('refuses a pickle that calls anything but the state-dict globals, without running it', () => {
    expect(() => readTorchStateDict(readFileSync(`${TEST_FIXTURES}evil.pt`))).toThrow(
      /global (posix|os|nt)\.system is not allowed/,
    );
  });

  it('detects a damaged storage by its CRC-32', () => {
    const bytes = new Uint8Array(readFileSync(`${TINY_MODEL}/colbert_linear.pt`));
    const archive = new ZipArchive(bytes);
    const storage = archive.entries.get('colbert_linear/data/0')!;
    const nameLength = new DataView(bytes.buffer).getUint16(storage.localHeaderOffset + 26, true);
    const extraLength = new DataView(bytes.buffer).getUint16(storage.localHeaderOffset + 28, true);
    bytes[storage.localHeaderOffset + 30 + nameLength + extraLength + 100]! ^= 0xff;
    expect(() => readTorchStateDict(bytes)).toThrow(/CRC-32 mismatch/);
  });

  it('rejects truncated files, non-zip files and the legacy format', () => {
    const bytes = readFileSync(`${TINY_MODEL}/colbert_linear.pt`);
    expect(() => readTorchStateDict(bytes.subarray(0, bytes.length - 200))).toThrow(
      /zip|central directory|truncated/i,
    );
    expect(() => readTorchStateDict(new TextEncoder().encode('{"weight": [1, 2]}'))).toThrow(
      /not a zip archive/,
    );
    expect(() => readTorchStateDict(Uint8Array.of(0x80, 0x02, 0x8a, 0x0a))).toThrow(/legacy/);
  });
});

describe('float conversion and CRC', () => {
  it('decodes half-precision specials, subnormals and bfloat16', () => {
    const halves = new Uint8Array(
      new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7c00, 0xfc00, 0x7e00, 0x0000, 0x8000, 0x7bff])
        .buffer,
    );
    const decoded = Array.from(decodeToFloat32(halves, 'float16', 9, true));
    expect(decoded.slice(0, 5)).toEqual([1, -2, 2 ** -24, Infinity, -Infinity]);
    expect(Number.isNaN(decoded[5])).toBe(true);
    expect(Object.is(decoded[7], -0)).toBe(true);
    expect(decoded[8]).toBe(65504);
    const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xc040]).buffer);
    expect(Array.from(decodeToFloat32(bf16, 'bfloat16', 2, true))).toEqual([1, -3]);
    const bigEndian = Uint8Array.of(0x3c, 0x00);
    expect(Array.from(decodeToFloat32(bigEndian, 'float16', 1, false))).toEqual([1]);
  });

  it('computes the zip CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});
