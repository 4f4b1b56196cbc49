import { CollectionMismatchError, type ResolvedCollectionSpec } from '@m3kit/core';
import {
  colbertCollectionName,
  colbertCollectionRequest,
  mainCollectionRequest,
  parseMarker,
  specOfMarker,
  type ColbertVectorType,
  type IndexChoice,
} from './collection-layout.js';
import { BACKEND } from './errors.js';
import {
  compareColbertCollection,
  compareMainCollection,
  type DescribedCollection,
  type DescribedIndex,
} from './schema-compare.js';
import { collectionExists } from './server-features.js';
import { request, type RequestContext } from './transport.js';

/** The collections one store works on, and how their vectors are indexed. */
export interface SchemaTarget {
  readonly collection: ResolvedCollectionSpec;
  readonly denseIndex: IndexChoice;
  readonly colbertIndex: IndexChoice;
  readonly colbertVectorType: ColbertVectorType;
}

function hasColbert(target: SchemaTarget): boolean {
  return target.collection.signals.includes('colbert');
}

/** The main collection, then its ColBERT companion when the spec stores ColBERT. */
function collectionNames(target: SchemaTarget): string[] {
  const name = target.collection.name;
  return hasColbert(target) ? [name, colbertCollectionName(name)] : [name];
}

/** Creates the collections (or validates existing ones) and loads them. */
export async function ensureCollections(
  context: RequestContext,
  target: SchemaTarget,
): Promise<{ created: boolean }> {
  const { collection } = target;
  let created = false;
  if (await collectionExists(context, collection.name)) {
    await ensureCompanion(context, target);
    await validateExisting(context, target);
  } else {
    try {
      await request(context, `create collection ${collection.name}`, () =>
        context.client.createCollection(mainCollectionRequest(collection, target.denseIndex)),
      );
      if (hasColbert(target)) {
        await request(context, `create collection ${colbertCollectionName(collection.name)}`, () =>
          context.client.createCollection(
            colbertCollectionRequest(collection, target.colbertIndex, target.colbertVectorType),
          ),
        );
      }
      created = true;
    } catch (error) {
      // Another writer may have created it a moment ago: then it must match.
      if (!(await collectionExists(context, collection.name))) throw error;
      await ensureCompanion(context, target);
      await validateExisting(context, target);
    }
  }
  for (const name of collectionNames(target)) {
    await request(context, `load collection ${name}`, () =>
      context.client.loadCollectionSync({ collection_name: name }),
    );
  }
  return { created };
}

/**
 * The two collections are created one after the other, so a concurrent writer (or one killed
 * between the two creates) can leave the main collection without its ColBERT companion for a
 * moment or for good. Create the missing companion; if a racing writer created it first, the
 * existing one is then validated like any other.
 */
async function ensureCompanion(context: RequestContext, target: SchemaTarget): Promise<void> {
  if (!hasColbert(target)) return;
  const name = colbertCollectionName(target.collection.name);
  if (await collectionExists(context, name)) return;
  try {
    await request(context, `create collection ${name}`, () =>
      context.client.createCollection(
        colbertCollectionRequest(target.collection, target.colbertIndex, target.colbertVectorType),
      ),
    );
  } catch (error) {
    if (!(await collectionExists(context, name))) throw error;
  }
}

async function validateExisting(context: RequestContext, target: SchemaTarget): Promise<void> {
  const { collection } = target;
  const colbertName = colbertCollectionName(collection.name);
  const differences = compareMainCollection(
    collection,
    await describe(context, collection.name),
    await describeIndexes(context, collection.name),
  );
  const colbertExists = await collectionExists(context, colbertName);
  if (hasColbert(target) && !colbertExists) {
    differences.push(`ColBERT collection ${colbertName}: missing`);
  } else if (hasColbert(target)) {
    differences.push(
      ...compareColbertCollection(
        collection,
        await describe(context, colbertName),
        await describeIndexes(context, colbertName),
        target.colbertVectorType,
      ),
    );
  }
  if (differences.length > 0) {
    throw new CollectionMismatchError({
      backend: BACKEND,
      collection: collection.name,
      differences,
    });
  }
}

export async function describe(
  context: RequestContext,
  name: string,
): Promise<DescribedCollection> {
  const response = await request(context, `describe collection ${name}`, () =>
    context.client.describeCollection({ collection_name: name, cache: false }),
  );
  const schema = response.schema as unknown as DescribedCollection;
  return { description: schema.description ?? '', fields: schema.fields ?? [] };
}

async function describeIndexes(context: RequestContext, name: string): Promise<DescribedIndex[]> {
  const response = await request(context, `describe indexes of ${name}`, () =>
    context.client.describeIndex({ collection_name: name }),
  );
  return (response.index_descriptions ?? []) as unknown as DescribedIndex[];
}

/**
 * The spec kept in the main collection's description (m3kit's marker), or undefined when no
 * collection of that name exists. A collection m3kit did not make throws CollectionMismatchError.
 */
export async function describeSpec(
  context: RequestContext,
  name: string,
): Promise<ResolvedCollectionSpec | undefined> {
  if (!(await collectionExists(context, name))) return undefined;
  const marker = parseMarker((await describe(context, name)).description);
  if (marker === undefined) {
    throw new CollectionMismatchError({
      backend: BACKEND,
      collection: name,
      differences: ['description: not an m3kit collection (no m3kit marker in its description)'],
    });
  }
  return specOfMarker(name, marker);
}

/** Drops the ColBERT companion first, then the main collection; missing ones are skipped. */
export async function dropCollections(context: RequestContext, name: string): Promise<void> {
  for (const each of [colbertCollectionName(name), name]) {
    if (await collectionExists(context, each)) {
      await request(context, `drop collection ${each}`, () =>
        context.client.dropCollection({ collection_name: each }),
      );
    }
  }
}
