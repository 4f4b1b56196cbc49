import fc from 'fast-check';
import type { M3Record, Metadata } from '../document.js';
import type { M3Embedding } from '../embedding/types.js';
import type { HybridQuery } from '../query/hybrid-query.js';
import { SeededRandom } from '../testing/random.js';

/**
 * A generated value with what the generator knows about it: `valid` when every part came from a
 * valid generator, else the labels of the hostile parts. Properties check the validator against
 * this: a valid value must be accepted, a hostile one rejected with a typed error.
 */
export interface Tagged<T> {
  readonly value: T;
  readonly hostile: readonly string[];
}

function good<T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<Tagged<T>> {
  return arbitrary.map((value) => ({ value, hostile: [] }));
}

function bad<T>(label: string, arbitrary: fc.Arbitrary<T>): fc.Arbitrary<Tagged<T>> {
  return arbitrary.map((value) => ({ value, hostile: [label] }));
}

/** Deterministic unit vectors from a seed: cheap at 1024 dimensions, shrinkable by the seed. */
function unitVector(dimension: number, seed: number): Float32Array {
  const random = new SeededRandom(seed);
  const values = new Float32Array(dimension);
  let sum = 0;
  for (let i = 0; i < dimension; i++) {
    values[i] = random.normal();
    sum += values[i]! * values[i]!;
  }
  const norm = Math.sqrt(sum) || 1;
  for (let i = 0; i < dimension; i++) values[i] = values[i]! / norm;
  return values;
}

const seed = fc.integer({ min: 1, max: 2 ** 31 - 1 });
const badNumber = fc.constantFrom(
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  1e39, // overflows float32 to Infinity
);

/** Dense vectors: unit length, or one of the ways callers get them wrong. */
export function denseArbitrary(dimension: number): fc.Arbitrary<Tagged<unknown>> {
  return fc.oneof(
    { weight: 4, arbitrary: good(seed.map((s) => unitVector(dimension, s))) },
    bad(
      'dense of the wrong dimension',
      fc
        .tuple(seed, fc.constantFrom(1, dimension - 1, dimension + 1, dimension * 2))
        .map(([s, d]) => unitVector(d, s)),
    ),
    bad(
      'a non-finite dense value',
      fc.tuple(seed, fc.nat({ max: dimension - 1 }), badNumber).map(([s, at, value]) => {
        const vector = unitVector(dimension, s);
        vector[at] = value;
        return vector;
      }),
    ),
    bad(
      'dense not unit length',
      fc
        .tuple(seed, fc.constantFrom(0, -0, 0.5, 2, 30))
        .map(([s, scale]) => unitVector(dimension, s).map((v) => v * scale)),
    ),
    bad(
      'dense not a Float32Array',
      seed.map((s) => Array.from(unitVector(dimension, s))),
    ),
    bad('dense null', fc.constant(null)),
  );
}

/** Lexical weights: sorted unique ids with positive weights, or broken. */
export function lexicalArbitrary(): fc.Arbitrary<Tagged<unknown>> {
  const pairs = fc.uniqueArray(fc.integer({ min: 0, max: 250_001 }), {
    minLength: 1,
    maxLength: 40,
  });
  const sorted = pairs.map((ids) => Uint32Array.from(ids.sort((a, b) => a - b)));
  const weights = (n: number): Float32Array =>
    Float32Array.from({ length: n }, (_, i) => 0.01 + ((i * 37) % 100) / 100);
  return fc.oneof(
    {
      weight: 4,
      arbitrary: good(sorted.map((indices) => ({ indices, values: weights(indices.length) }))),
    },
    bad(
      'unsorted lexical ids',
      sorted
        .filter((indices) => indices.length > 1)
        .map((indices) => ({
          indices: indices.slice().reverse(),
          values: weights(indices.length),
        })),
    ),
    bad(
      'a lexical weight <= 0 or not finite',
      fc
        .tuple(sorted, fc.constantFrom(0, -0, -1, Number.NaN, Number.POSITIVE_INFINITY))
        .map(([indices, value]) => {
          const values = weights(indices.length);
          values[indices.length - 1] = value;
          return { indices, values };
        }),
    ),
    bad(
      'lexical ids and weights of different lengths',
      sorted.map((indices) => ({ indices, values: weights(indices.length + 1) })),
    ),
    bad('lexical null', fc.constant(null)),
    bad('lexical as plain arrays', fc.constant({ indices: [3], values: [0.5] })),
  );
}

/** ColBERT multivectors: unit rows of the collection's dimension, or broken. */
export function colbertArbitrary(dimension: number): fc.Arbitrary<Tagged<unknown>> {
  const rowsOf = (rows: number, s: number, dim = dimension): Float32Array => {
    const data = new Float32Array(rows * dim);
    for (let r = 0; r < rows; r++) data.set(unitVector(dim, s + r), r * dim);
    return data;
  };
  const rows = fc.integer({ min: 1, max: 6 });
  return fc.oneof(
    {
      weight: 4,
      arbitrary: good(
        fc.tuple(rows, seed).map(([n, s]) => ({ data: rowsOf(n, s), rows: n, dim: dimension })),
      ),
    },
    bad(
      'ColBERT of the wrong dimension',
      fc
        .tuple(rows, seed)
        .map(([n, s]) => ({ data: rowsOf(n, s, dimension + 1), rows: n, dim: dimension + 1 })),
    ),
    bad(
      'ColBERT rows that do not fill data',
      fc.tuple(rows, seed).map(([n, s]) => ({ data: rowsOf(n, s), rows: n + 1, dim: dimension })),
    ),
    bad(
      'ColBERT with no rows',
      fc.constant({ data: new Float32Array(0), rows: 0, dim: dimension }),
    ),
    bad(
      'a non-finite ColBERT value',
      fc.tuple(rows, seed, badNumber).map(([n, s, value]) => {
        const data = rowsOf(n, s);
        data[data.length - 1] = value;
        return { data, rows: n, dim: dimension };
      }),
    ),
    bad('ColBERT null', fc.constant(null)),
  );
}

/** Ids: short well-formed strings with `prefix`, or every kind of wrong id. */
export function idArbitrary(prefix: string): fc.Arbitrary<Tagged<unknown>> {
  return fc.oneof(
    {
      weight: 6,
      arbitrary: good(
        fc
          .tuple(fc.nat(), fc.string({ unit: 'grapheme', maxLength: 8 }))
          .map(([n, tail]) => `${prefix}${n}-${tail}`),
      ),
    },
    // Legal ids that break string-built requests: quotes, backslashes, NUL, newlines, `#`, and
    // exactly the 512-byte limit.
    good(
      fc.constantFrom(
        `${prefix}"quoted" 'single' \\back\\slash`,
        `${prefix}nul\u0000inside`,
        `${prefix}line\nbreak\r\n`,
        `${prefix}doc#3 ${'空'}🧪`,
        `${prefix}${'y'.repeat(512 - prefix.length)}`,
      ),
    ),
    bad('an empty id', fc.constant('')),
    bad('a 513-byte id', fc.constant(`${prefix}${'x'.repeat(513 - prefix.length)}`)),
    bad('a 514-byte id of 2-byte characters', fc.constant('é'.repeat(257))),
    bad('an id with a lone surrogate', fc.constant(`${prefix}\ud800`)),
    bad(
      'a non-string id',
      fc.constantFrom<unknown>(
        42,
        -0,
        Number.NaN,
        null,
        undefined,
        10n,
        {},
        ['a'],
        Object.create(null),
      ),
    ),
  );
}

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** Metadata: flat scalars of the declared types, or deep, huge, circular and exotic values. */
export function metadataArbitrary(): fc.Arbitrary<Tagged<unknown>> {
  // Undeclared fields keep one type per name (x_s_*: strings, ...): a backend that maps fields
  // dynamically (Elasticsearch) rightly refuses a field that changes type between documents.
  const typed = (kind: string, value: fc.Arbitrary<unknown>) =>
    fc
      .tuple(fc.stringMatching(/^[a-z]{1,4}$/), fc.option(value, { nil: null }))
      .map(([name, v]) => [`x_${kind}_${name}`, v] as const);
  const field = fc.oneof(
    typed('s', fc.string({ unit: 'grapheme', maxLength: 20 })),
    typed('f', fc.double({ min: -1e6, max: 1e6, noNaN: true })),
    typed('b', fc.boolean()),
    typed('a', fc.array(fc.string({ maxLength: 8 }), { minLength: 1, maxLength: 3 })),
  );
  const fields = fc.array(field, { maxLength: 5 }).map((entries) => Object.fromEntries(entries));
  const circular = (): Record<string, unknown> => {
    const value: Record<string, unknown> = { a: 1 };
    value['self'] = value;
    return value;
  };
  return fc.oneof(
    { weight: 5, arbitrary: good(fc.option(fields, { nil: undefined })) },
    bad('metadata nested 10,000 levels deep', fc.constant({ deep: nested(10_000) })),
    bad(
      'circular metadata',
      fc.constant(null).map(() => circular()),
    ),
    bad('a BigInt metadata value', fc.constant({ big: 10n })),
    bad(
      'a NaN metadata value',
      fc.constantFrom({ n: Number.NaN }, { n: Number.POSITIVE_INFINITY }),
    ),
    bad('metadata over 64 KiB', fc.constant({ big: 'x'.repeat(70_000) })),
    bad(
      'more than 256 metadata fields',
      fc.constant(Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`f${i}`, i]))),
    ),
    bad('a metadata field name with a dot', fc.constant({ 'a.b': 1 })),
    bad('a metadata object value', fc.constant({ nested: { a: 1 } })),
    bad('metadata not an object', fc.constantFrom<unknown>('text', 3, ['a'], null)),
    bad('integer field given a string', fc.constant({ year: '2020' })),
  );
}

/** Texts: every kind of well-formed string (NUL, RTL, emoji included), or broken. */
export function textArbitrary(): fc.Arbitrary<Tagged<unknown>> {
  return fc.oneof(
    {
      weight: 5,
      arbitrary: good(
        fc.option(fc.string({ unit: 'grapheme', maxLength: 40 }), { nil: undefined }),
      ),
    },
    good(
      fc.constantFrom(
        'NUL \u0000 inside',
        'CRLF\r\nline',
        'مرحبا بالعالم (RTL) עברית',
        'family 👨\u200d👩\u200d👧 zwj',
        'e\u0301\u0301\u0301 combining',
        '\ufeffbom first',
        '',
      ),
    ),
    bad('text with a lone surrogate', fc.constantFrom('broken \ud800 text', '\udfff')),
    bad('text not a string', fc.constantFrom<unknown>(42, null, {}, ['a'])),
  );
}

type Parts = Record<string, fc.Arbitrary<Tagged<unknown>>>;

/**
 * Objects whose parts come from `parts`, in three mixes: all valid, exactly one part hostile (so
 * each rejection has one cause to check), or any mix. Without this nearly every generated value
 * would have some hostile part and the accepting path would hardly ever run.
 */
function mixed(parts: Parts): fc.Arbitrary<Record<string, Tagged<unknown>>> {
  const names = Object.keys(parts);
  const only = (hostile: boolean): Parts =>
    Object.fromEntries(
      names.map((name) => [name, parts[name]!.filter((t) => t.hostile.length > 0 === hostile)]),
    );
  const valid = only(false);
  const hostile = only(true);
  return fc.oneof(
    { weight: 3, arbitrary: fc.record(valid) },
    {
      weight: 3,
      arbitrary: fc
        .constantFrom(...names)
        .chain((name) => fc.record({ ...valid, [name]: hostile[name]! })),
    },
    { weight: 1, arbitrary: fc.record(parts) },
  );
}

/**
 * Records for a collection storing all three signals at `dimension`, with integer `year` among
 * its declared metadata fields: each part valid or hostile.
 */
export function recordArbitrary(
  dimension: number,
  idPrefix: string,
): fc.Arbitrary<Tagged<M3Record>> {
  return mixed({
    id: idArbitrary(idPrefix),
    text: textArbitrary(),
    metadata: metadataArbitrary(),
    dense: denseArbitrary(dimension),
    lexical: lexicalArbitrary(),
    colbert: colbertArbitrary(dimension),
  }).map((parts) => {
    const embedding = {
      dense: parts['dense']!.value,
      lexical: parts['lexical']!.value,
      colbert: parts['colbert']!.value,
    } as M3Embedding;
    const text = parts['text']!.value;
    const metadata = parts['metadata']!.value;
    const record = {
      id: parts['id']!.value,
      embedding,
      ...(text === undefined ? {} : { text }),
      ...(metadata === undefined ? {} : { metadata: metadata as Metadata }),
    } as M3Record;
    return { value: record, hostile: Object.values(parts).flatMap((part) => part.hostile) };
  });
}

/** Query inputs around a valid embedding: each hostile field a way HybridQuery is misused. */
export function queryArbitrary(embedding: M3Embedding): fc.Arbitrary<Tagged<HybridQuery>> {
  const dimension = embedding.dense?.length ?? 4;
  const part = <T>(valid: fc.Arbitrary<T>, hostile: Array<[string, fc.Arbitrary<unknown>]>) =>
    fc.oneof(
      { weight: 3, arbitrary: good(valid as fc.Arbitrary<unknown>) },
      ...hostile.map(([label, arbitrary]) => bad(label, arbitrary)),
    );
  return mixed({
    topK: part(fc.integer({ min: 1, max: 40 }), [
      [
        'topK not a positive integer <= 10000',
        fc.constantFrom(
          0,
          -1,
          2.5,
          10_001,
          1e9,
          Number.NaN,
          Number.POSITIVE_INFINITY,
          -0,
          '5',
          null,
        ),
      ],
    ]),
    fusion: part(
      fc.constantFrom(
        undefined,
        { kind: 'weighted' },
        { kind: 'rrf' },
        { kind: 'rrf', k: 10 },
        { kind: 'dbsf' },
      ),
      [
        [
          'an unknown fusion kind',
          fc.constantFrom({ kind: 'magic' }, { kind: '' }, { kind: 'RRF' }, 'rrf', null),
        ],
        [
          'a bad rrf k',
          fc.constantFrom(
            { kind: 'rrf', k: 0 },
            { kind: 'rrf', k: -1 },
            { kind: 'rrf', k: Number.NaN },
            { kind: 'weighted', k: 5 },
          ),
        ],
      ],
    ),
    weights: part(
      fc.constantFrom(undefined, { dense: 0.4, sparse: 0.2, colbert: 0.4 }, { dense: 1 }),
      [
        [
          'a bad weight',
          fc.constantFrom(
            { dense: Number.NaN },
            { dense: -1 },
            { sparse: Number.POSITIVE_INFINITY },
            { bm25: 1 },
            'heavy',
          ),
        ],
      ],
    ),
    candidates: part(fc.constantFrom(undefined, 50, { dense: 60 }), [
      [
        'bad candidates',
        fc.constantFrom(0, -5, 10_001, 2.5, Number.NaN, { bm25: 3 }, { dense: -0.5 }),
      ],
    ]),
    dense: part(fc.constant(embedding.dense), [
      [
        'a NaN in the query vector',
        fc.constant(embedding.dense).map((d) => {
          const copy = Float32Array.from(d ?? new Float32Array(dimension));
          copy[0] = Number.NaN;
          return copy;
        }),
      ],
      [
        'a query vector of the wrong dimension',
        fc.constant(new Float32Array(dimension + 3).fill(1 / Math.sqrt(dimension + 3))),
      ],
      [
        'a query vector not unit length',
        fc.constant(embedding.dense).map((d) => Float32Array.from(d ?? [], (v) => v * 3)),
      ],
    ]),
  }).map((parts) => {
    const { dense, topK, fusion, weights, candidates } = parts as Record<string, Tagged<unknown>>;
    const query = {
      embedding: { ...embedding, dense: dense!.value as Float32Array },
      topK: topK!.value as number,
      ...(fusion!.value === undefined ? {} : { fusion: fusion!.value }),
      ...(weights!.value === undefined ? {} : { weights: weights!.value }),
      ...(candidates!.value === undefined ? {} : { candidates: candidates!.value }),
    } as HybridQuery;
    return { value: query, hostile: Object.values(parts).flatMap((p) => p.hostile) };
  });
}
