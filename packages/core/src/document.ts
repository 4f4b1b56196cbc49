import type { M3Embedding } from './embedding/types.js';

/** A scalar metadata value. Arrays hold tags: `eq`/`in` filters match any element. */
export type MetadataScalar = string | number | boolean;
export type MetadataValue = MetadataScalar | null | readonly string[];
export type Metadata = Readonly<Record<string, MetadataValue>>;

/** A text with a caller-chosen id; ids are what makes writes idempotent. */
export interface M3Document {
  readonly id: string;
  readonly text?: string;
  readonly metadata?: Metadata;
}

/** A document with its BGE-M3 embedding: the unit a store writes. */
export interface M3Record extends M3Document {
  readonly embedding: M3Embedding;
}
