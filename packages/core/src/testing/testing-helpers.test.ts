import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveCollectionSpec } from '../store/collection-spec.js';
import { jsonlDocuments } from './jsonl-documents.js';
import { serverFromEnv } from './server-from-env.js';
import { uniqueCollectionName } from './unique-collection-name.js';

describe('uniqueCollectionName', () => {
  it('makes valid, distinct names from any label', () => {
    const names = ['conformance', 'Odd Label!', '9starts-with-digit', 'x'.repeat(100), ''].map(
      (label) => uniqueCollectionName(label),
    );
    for (const name of names)
      expect(() => resolveCollectionSpec({ name, denseDimension: 4 }), name).not.toThrow();
    expect(new Set([...names, uniqueCollectionName('conformance')]).size).toBe(names.length + 1);
    expect(names[1]).toMatch(/^odd_label_/);
  });
});

describe('serverFromEnv', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    vi.restoreAllMocks();
  });

  it('returns the address when set', () => {
    process.env['M3KIT_TEST_SERVER'] = 'http://127.0.0.1:1';
    expect(serverFromEnv('M3KIT_TEST_SERVER')).toEqual({
      address: 'http://127.0.0.1:1',
      skipReason: undefined,
    });
  });

  it('says loudly why it skips when unset', () => {
    delete process.env['M3KIT_TEST_SERVER'];
    delete process.env['M3KIT_REQUIRE_SERVERS'];
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(serverFromEnv('M3KIT_TEST_SERVER', 'kit tests').skipReason).toBe(
      'M3KIT_TEST_SERVER not set',
    );
    expect(warn).toHaveBeenCalledWith('SKIPPED: kit tests: M3KIT_TEST_SERVER not set');
  });

  it('refuses to skip when servers are required', () => {
    delete process.env['M3KIT_TEST_SERVER'];
    process.env['M3KIT_REQUIRE_SERVERS'] = '1';
    expect(() => serverFromEnv('M3KIT_TEST_SERVER')).toThrow(/forbids skipping/);
  });
});

describe('jsonlDocuments', () => {
  it('keeps id and text, the rest as metadata, and skips blank lines', () => {
    const text = `{"id":"a","text":"one","lang":"en","tags":["x"]}\n\n  \n{"id":"b","text":"two"}\n`;
    expect(jsonlDocuments(text)).toEqual([
      { id: 'a', text: 'one', metadata: { lang: 'en', tags: ['x'] } },
      { id: 'b', text: 'two', metadata: {} },
    ]);
  });

  it('names the line that is not a document', () => {
    expect(() => jsonlDocuments('{"id":"a","text":"one"}\n{"id":7,"text":"two"}')).toThrow(
      /^line 2: expected an object/,
    );
    expect(() => jsonlDocuments('[1]')).toThrow(/line 1/);
  });
});
