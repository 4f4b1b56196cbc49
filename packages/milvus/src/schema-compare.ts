import type { ResolvedCollectionSpec } from '@m3kit/core';
import { DataType, type FieldType } from '@zilliz/milvus2-sdk-node';
import {
  COLBERT_FIELDS,
  FIELDS,
  FLAT_INDEX,
  colbertCollectionRequest,
  mainCollectionRequest,
  parseMarker,
  type ColbertVectorType,
} from './collection-layout.js';

/** The parts of a described collection that schema comparison reads. */
export interface DescribedField {
  readonly name: string;
  readonly data_type?: string;
  readonly dataType?: number;
  readonly is_primary_key?: boolean;
  readonly dim?: string | number;
  readonly max_length?: string | number;
  readonly element_type?: string;
  readonly type_params?: ReadonlyArray<{ readonly key: string; readonly value: string }>;
}

export interface DescribedCollection {
  readonly description?: string;
  readonly fields: readonly DescribedField[];
}

export interface DescribedIndex {
  readonly field_name: string;
  readonly params: ReadonlyArray<{ readonly key: string; readonly value: string }>;
}

const DATA_TYPE_NAMES: Readonly<Record<number, string>> = {
  [DataType.VarChar]: 'VarChar',
  [DataType.Int64]: 'Int64',
  [DataType.FloatVector]: 'FloatVector',
  [DataType.Float16Vector]: 'Float16Vector',
  [DataType.SparseFloatVector]: 'SparseFloatVector',
  [DataType.JSON]: 'JSON',
  [DataType.Array]: 'Array',
};

/**
 * Compares an existing main collection with what the spec would create; one line per difference
 * (empty when they agree). Reads the schema itself (field types, dimension) and m3kit's marker in
 * the description (signals, text, metadata fields), and the vector indexes' metric.
 */
export function compareMainCollection(
  spec: ResolvedCollectionSpec,
  described: DescribedCollection,
  indexes: readonly DescribedIndex[],
): string[] {
  const differences: string[] = [];
  const expected = mainCollectionRequest(spec, FLAT_INDEX);
  differences.push(...compareFields(expected.fields, described.fields));
  const marker = parseMarker(described.description);
  if (marker === undefined) {
    differences.push('description: not an m3kit collection (no m3kit marker in its description)');
  } else {
    if (marker.denseDimension !== spec.denseDimension) {
      differences.push(
        `dense dimension (marker): existing ${marker.denseDimension}, requested ${spec.denseDimension}`,
      );
    }
    if (!sameList(marker.signals, spec.signals)) {
      differences.push(
        `signals: existing ${marker.signals.join('+')}, requested ${spec.signals.join('+')}`,
      );
    }
    if (marker.storeText !== spec.storeText) {
      differences.push(`storeText: existing ${marker.storeText}, requested ${spec.storeText}`);
    }
    // Compared only when both name one: collections made without a model accept any.
    if (marker.model !== undefined && spec.model !== undefined && marker.model !== spec.model) {
      differences.push(`model: existing ${marker.model}, requested ${spec.model}`);
    }
    const existingFields = JSON.stringify(marker.metadataFields ?? []);
    const requestedFields = JSON.stringify(spec.metadataFields);
    if (existingFields !== requestedFields) {
      differences.push(`metadataFields: existing ${existingFields}, requested ${requestedFields}`);
    }
  }
  for (const field of [FIELDS.dense, FIELDS.sparse]) {
    if (!described.fields.some((f) => f.name === field)) continue;
    differences.push(...compareMetric(field, indexes));
  }
  return differences;
}

/** Compares an existing ColBERT companion collection with what the spec would create. */
export function compareColbertCollection(
  spec: ResolvedCollectionSpec,
  described: DescribedCollection,
  indexes: readonly DescribedIndex[],
  vectorType: ColbertVectorType = 'float16',
): string[] {
  const expected = colbertCollectionRequest(spec, FLAT_INDEX, vectorType);
  const prefix = `ColBERT collection ${expected.collection_name}: `;
  const differences = compareFields(expected.fields, described.fields).map((d) =>
    // Companions made before float16 became the default hold float32: say how to keep using them.
    d.startsWith(`field ${COLBERT_FIELDS.vector}: type existing FloatVector`)
      ? `${d} (open "${spec.name}" with colbertVectorType: "float32" to keep using it, or migrate: copy its records with get({ includeEmbedding: true }) into a new collection and drop it)`
      : d.startsWith(`field ${COLBERT_FIELDS.vector}: type existing Float16Vector`)
        ? `${d} (open "${spec.name}" with colbertVectorType: "float16")`
        : d,
  );
  return [...differences, ...compareMetric(COLBERT_FIELDS.vector, indexes)].map((d) => prefix + d);
}

function compareFields(
  expected: readonly FieldType[],
  actual: readonly DescribedField[],
): string[] {
  const differences: string[] = [];
  const byName = new Map(actual.map((f) => [f.name, f]));
  for (const want of expected) {
    const have = byName.get(want.name);
    if (have === undefined) {
      differences.push(`field ${want.name}: missing (requested ${typeName(want.data_type)})`);
      continue;
    }
    const wantType = typeName(want.data_type);
    const haveType =
      have.data_type ?? (have.dataType === undefined ? 'unknown' : typeName(have.dataType));
    if (wantType !== haveType)
      differences.push(`field ${want.name}: type existing ${haveType}, requested ${wantType}`);
    if (want.dim !== undefined) {
      const dim = Number(have.dim ?? paramOf(have, 'dim'));
      const label =
        want.name === FIELDS.dense || want.name === COLBERT_FIELDS.vector
          ? `${want.name} dimension`
          : `field ${want.name} dim`;
      if (dim !== Number(want.dim))
        differences.push(`${label}: existing ${dim}, requested ${String(want.dim)}`);
    }
    if (want.is_primary_key === true && have.is_primary_key !== true) {
      differences.push(`field ${want.name}: is not the primary key`);
    }
  }
  const wanted = new Set(expected.map((f) => f.name));
  for (const have of actual) {
    if (!wanted.has(have.name))
      differences.push(`field ${have.name}: present, but the spec has no such field`);
  }
  return differences;
}

function compareMetric(field: string, indexes: readonly DescribedIndex[]): string[] {
  const index = indexes.find((i) => i.field_name === field);
  if (index === undefined) return [`field ${field}: has no index`];
  const metric = index.params.find((p) => p.key === 'metric_type')?.value;
  return metric === 'IP'
    ? []
    : [`field ${field}: metric existing ${metric ?? 'none'}, requested IP`];
}

function paramOf(field: DescribedField, key: string): string | undefined {
  return field.type_params?.find((p) => p.key === key)?.value;
}

function typeName(type: DataType | string | number | undefined): string {
  if (typeof type === 'string') return type;
  if (type === undefined) return 'unknown';
  return DATA_TYPE_NAMES[type] ?? String(type);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
