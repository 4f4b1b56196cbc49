import { describe, expect, it } from 'vitest';
import { prefixRange, prefixesFor } from './scan.js';

describe('scan key ranges', () => {
  it('one range for a small collection, 16^n ranges of about 4,096 keys for larger ones', () => {
    expect(prefixesFor(1)).toEqual(['']);
    expect(prefixesFor(4_096)).toEqual(['']);
    expect(prefixesFor(4_097)).toHaveLength(16);
    expect(prefixesFor(65_536)).toHaveLength(16);
    expect(prefixesFor(65_537)).toHaveLength(256);
    expect(prefixesFor(65_537).slice(0, 3)).toEqual(['00', '01', '02']);
  });

  it('ranges cover every key exactly once, the last one open above', () => {
    expect(prefixRange('')).toBe('');
    expect(prefixRange('3')).toBe('key >= "3" and key < "4"');
    expect(prefixRange('9')).toBe('key >= "9" and key < "a"');
    expect(prefixRange('0f')).toBe('key >= "0f" and key < "1"');
    expect(prefixRange('f')).toBe('key >= "f"');
    expect(prefixRange('ff')).toBe('key >= "ff"');
    // Every 2-digit key falls in exactly one of the 1-digit ranges.
    const ranges = prefixesFor(5_000).map((prefix) => {
      const next = prefixRange(prefix).match(/< "(\w+)"/)?.[1];
      return (key: string): boolean => key >= prefix && (next === undefined || key < next);
    });
    for (let n = 0; n < 256; n++) {
      const key = n.toString(16).padStart(2, '0') + 'a'.repeat(30);
      expect(ranges.filter((inRange) => inRange(key))).toHaveLength(1);
    }
  });
});
