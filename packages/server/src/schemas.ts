import type { ServerLimits } from './server-options.js';

/**
 * JSON Schemas of every route: Fastify validates requests with them and @fastify/swagger writes
 * the OpenAPI document from the same objects, so the document cannot drift from what is enforced.
 * Field names follow FlagEmbedding (`return_dense`, `lexical_weights`, `colbert_vecs`) and
 * OpenAI (`input`, `encoding_format`) where a route mirrors them; m3kit's own fields are snake_case.
 */

type Schema = Record<string, unknown>;

const SIGNAL = { type: 'string', enum: ['dense', 'sparse', 'colbert'] } as const;

export const ERROR_SCHEMA: Schema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: {
          type: 'string',
          description: 'invalid_input, unauthorized, not_found, queue_full, backend_error, …',
        },
        message: { type: 'string' },
        field: {
          type: 'string',
          description: 'the request field at fault, e.g. body.sentences[3]',
        },
      },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
};

const ERRORS = {
  400: { description: 'Bad input: the message names the field', ...ERROR_SCHEMA },
  401: { description: 'Missing or wrong API key', ...ERROR_SCHEMA },
  503: { description: 'Encoder queue full (see Retry-After) or shutting down', ...ERROR_SCHEMA },
};

const text = (limits: ServerLimits): Schema => ({
  type: 'string',
  minLength: 1,
  maxLength: limits.textChars,
});

const texts = (limits: ServerLimits, description: string): Schema => ({
  description,
  oneOf: [
    text(limits),
    { type: 'array', items: text(limits), minItems: 1, maxItems: limits.textsPerCall },
  ],
});

const collection: Schema = {
  type: 'string',
  minLength: 1,
  maxLength: 255,
  description: 'collection served (default: the first)',
};

const maxLength: Schema = {
  type: 'integer',
  minimum: 3,
  maximum: 8192,
  description: 'token limit, <s> and </s> included',
};

export const LEXICAL_WEIGHTS: Schema = {
  type: 'object',
  description: 'FlagEmbedding lexical_weights: {"<token id>": weight}',
  additionalProperties: { type: 'number' },
};

const DENSE: Schema = { type: 'array', items: { type: 'number' }, maxItems: 8192 };
const COLBERT: Schema = { type: 'array', items: DENSE, maxItems: 8192 };

const TRUNCATION: Schema = {
  type: 'object',
  properties: { token_count: { type: 'integer' }, truncated: { type: 'boolean' } },
  required: ['token_count', 'truncated'],
};

export function embedSchema(limits: ServerLimits): Schema {
  return {
    summary:
      'BGE-M3 dense, lexical and ColBERT outputs for texts (FlagEmbedding BGEM3FlagModel.encode)',
    tags: ['encode'],
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['sentences'],
      properties: {
        sentences: texts(limits, 'a text or a list of texts'),
        return_dense: { type: 'boolean', default: true },
        return_sparse: { type: 'boolean', default: false },
        return_colbert_vecs: { type: 'boolean', default: false },
        max_length: maxLength,
      },
    },
    response: {
      200: {
        type: 'object',
        properties: {
          model: { type: 'string' },
          dense_vecs: { type: 'array', items: DENSE },
          lexical_weights: { type: 'array', items: LEXICAL_WEIGHTS },
          colbert_vecs: { type: 'array', items: COLBERT },
          truncation: {
            type: 'array',
            items: TRUNCATION,
            description: 'per text: tokens fed to the model and whether it was cut',
          },
        },
        required: ['model', 'truncation'],
      },
      ...ERRORS,
    },
  };
}

const QUERY_EMBEDDING: Schema = {
  type: 'object',
  additionalProperties: false,
  description: 'a query embedding in /embed form (one text): one or more of the three outputs',
  properties: { dense: DENSE, lexical_weights: LEXICAL_WEIGHTS, colbert_vecs: COLBERT },
};

const FILTER: Schema = {
  type: 'object',
  description:
    'm3kit filter as data: {"op":"eq","field":"lang","value":"en"}, and/or/not, in, range, exists',
};

const WEIGHTS: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    dense: { type: 'number', minimum: 0 },
    sparse: { type: 'number', minimum: 0 },
    colbert: { type: 'number', minimum: 0 },
  },
};

function queryFields(limits: ServerLimits): Schema {
  return {
    text: text(limits),
    embedding: QUERY_EMBEDDING,
    collection,
    signals: { type: 'array', items: SIGNAL, minItems: 1, uniqueItems: true },
    weights: WEIGHTS,
    fusion: { type: 'string', enum: ['weighted', 'rrf', 'dbsf'], default: 'weighted' },
    rrf_k: { type: 'number', exclusiveMinimum: 0 },
    top_k: { type: 'integer', minimum: 1, maximum: limits.topK, default: 10 },
    candidates: { type: 'integer', minimum: 1, maximum: limits.topK },
    filter: FILTER,
    filter_expr: {
      type: 'string',
      maxLength: 4096,
      description: 'the CLI filter syntax: lang=en and year>=2020',
    },
    include_text: { type: 'boolean', default: true },
    include_metadata: { type: 'boolean', default: true },
    max_length: maxLength,
  };
}

const SCORES: Schema = {
  type: 'object',
  properties: {
    dense: { type: 'number' },
    sparse: { type: 'number' },
    colbert: { type: 'number' },
  },
};

const HIT: Schema = {
  type: 'object',
  properties: {
    rank: { type: 'integer' },
    id: { type: 'string' },
    score: { type: 'number' },
    signal_scores: SCORES,
    text: { type: 'string' },
    metadata: { type: 'object', additionalProperties: true },
  },
  required: ['rank', 'id', 'score', 'signal_scores'],
};

const EXECUTION: Schema = {
  type: 'object',
  properties: {
    fusion: { type: 'string', enum: ['exact', 'native', 'client', 'none'] },
    colbert: { type: 'string', enum: ['exact', 'native', 'client', 'none'] },
    description: { type: 'string' },
  },
  required: ['fusion', 'colbert', 'description'],
};

export function querySchema(limits: ServerLimits): Schema {
  return {
    summary: "core's hybrid query by text (encoded here) or by embedding",
    tags: ['query'],
    body: { type: 'object', additionalProperties: false, properties: queryFields(limits) },
    response: {
      200: {
        type: 'object',
        properties: {
          collection: { type: 'string' },
          signals: { type: 'array', items: SIGNAL },
          fusion: { type: 'string' },
          hits: { type: 'array', items: HIT },
          execution: EXECUTION,
          warnings: { type: 'array', items: { type: 'string' } },
          timings_ms: {
            type: 'object',
            properties: { encode: { type: 'number' }, search: { type: 'number' } },
          },
        },
        required: ['collection', 'hits', 'execution', 'warnings'],
      },
      ...ERRORS,
      404: { description: 'Unknown collection', ...ERROR_SCHEMA },
    },
  };
}

export function explainSchema(limits: ServerLimits): Schema {
  const {
    text: queryText,
    embedding: _embedding,
    collection: coll,
    max_length,
  } = queryFields(limits) as Record<string, Schema>;
  return {
    summary:
      'why one record scored as it did: shared lexical tokens with weights, ColBERT row matches, dense score',
    tags: ['query'],
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['text', 'id'],
      properties: {
        text: queryText,
        id: { type: 'string', minLength: 1, maxLength: 1024 },
        collection: coll,
        max_length,
        top_tokens: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
      },
    },
    response: {
      200: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          text: { type: 'string' },
          scores: SCORES,
          lexical: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                token_id: { type: 'integer' },
                token: { type: 'string' },
                query_weight: { type: 'number' },
                document_weight: { type: 'number' },
                product: { type: 'number' },
              },
            },
          },
          colbert: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                query_row: { type: 'integer' },
                query_token: { type: 'string' },
                document_row: { type: 'integer' },
                document_token: { type: 'string' },
                similarity: { type: 'number' },
              },
            },
          },
        },
      },
      ...ERRORS,
      404: { description: 'Unknown collection or id', ...ERROR_SCHEMA },
    },
  };
}

export function documentsSchema(limits: ServerLimits): Schema {
  return {
    summary:
      'ingest documents: chunked, encoded and written through the same pipeline as `m3 ingest`',
    tags: ['documents'],
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['documents'],
      properties: {
        collection,
        documents: {
          type: 'array',
          minItems: 1,
          maxItems: limits.documentsPerCall,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'text'],
            properties: {
              id: { type: 'string', minLength: 1, maxLength: 512 },
              text: { type: 'string', minLength: 1, maxLength: limits.textChars },
              metadata: { type: 'object', additionalProperties: true },
            },
          },
        },
      },
    },
    response: {
      200: {
        type: 'object',
        properties: {
          collection: { type: 'string' },
          documents: {
            type: 'integer',
            description: 'documents whose every chunk is stored after the call',
          },
          written: { type: 'integer', description: 'documents encoded and written by this call' },
          unchanged: {
            type: 'integer',
            description: 'documents already stored at this version: not encoded again',
          },
          chunks: { type: 'integer' },
          deleted_chunks: { type: 'integer', description: 'chunks of older versions removed' },
          tokens: { type: 'integer' },
          duplicates: {
            type: 'array',
            items: { type: 'string' },
            description: 'ids given twice: the last one is kept',
          },
          superseded: { type: 'array', items: { type: 'string' } },
          skipped: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                id: { type: 'string' },
                position: { type: 'integer' },
                reason: { type: 'string' },
              },
            },
          },
          seconds: { type: 'number' },
        },
      },
      ...ERRORS,
    },
  };
}

export const DELETE_DOCUMENT_SCHEMA: Schema = {
  summary:
    'delete a document: every chunk POST /documents (or m3 ingest) wrote for it, and a record stored under exactly that id',
  tags: ['documents'],
  params: {
    type: 'object',
    properties: { id: { type: 'string', minLength: 1, maxLength: 512 } },
    required: ['id'],
  },
  querystring: { type: 'object', additionalProperties: false, properties: { collection } },
  response: {
    200: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        collection: { type: 'string' },
        deleted: { type: 'array', items: { type: 'string' } },
      },
    },
    404: { description: 'No such document', ...ERROR_SCHEMA },
    401: ERRORS[401],
  },
};

const COLLECTION_INFO: Schema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    backend: { type: 'string' },
    points: { type: 'integer' },
    signals: { type: 'array', items: SIGNAL },
    dense_dimension: { type: 'integer' },
    metadata_fields: {
      type: 'array',
      items: { type: 'object', properties: { name: { type: 'string' }, type: { type: 'string' } } },
    },
    native_fusion: { type: 'array', items: { type: 'string' } },
    native_colbert: { type: 'boolean' },
  },
};

export const STATS_SCHEMA: Schema = {
  summary: 'the collections served, their sizes, the model and the encoder queue',
  tags: ['service'],
  response: {
    200: {
      type: 'object',
      properties: {
        model: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            dense_dimension: { type: 'integer' },
            max_length: { type: 'integer' },
          },
        },
        collections: { type: 'array', items: COLLECTION_INFO },
        queue: {
          type: 'object',
          properties: { texts: { type: 'integer' }, requests: { type: 'integer' } },
        },
        limits: { type: 'object', additionalProperties: { type: 'integer' } },
      },
    },
    401: ERRORS[401],
  },
};

export function openaiEmbeddingsSchema(limits: ServerLimits): Schema {
  return {
    summary: 'OpenAI-compatible embeddings: the dense vector',
    tags: ['compatibility'],
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['input'],
      properties: {
        input: texts(limits, 'a text or a list of texts (token-id input is not supported)'),
        model: { type: 'string', maxLength: 512 },
        encoding_format: { type: 'string', enum: ['float', 'base64'], default: 'float' },
        dimensions: { type: 'integer', minimum: 1 },
        user: { type: 'string', maxLength: 512 },
      },
    },
    response: {
      200: {
        type: 'object',
        properties: {
          object: { type: 'string', enum: ['list'] },
          data: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                object: { type: 'string', enum: ['embedding'] },
                index: { type: 'integer' },
                embedding: {
                  oneOf: [
                    DENSE,
                    { type: 'string', description: 'base64 of little-endian float32' },
                  ],
                },
              },
            },
          },
          model: { type: 'string' },
          usage: {
            type: 'object',
            properties: { prompt_tokens: { type: 'integer' }, total_tokens: { type: 'integer' } },
          },
        },
      },
      ...ERRORS,
    },
  };
}

export const HEALTH_SCHEMA: Schema = {
  summary: 'the process is up',
  tags: ['service'],
  response: { 200: { type: 'object', properties: { status: { type: 'string' } } } },
};

export const READY_SCHEMA: Schema = {
  summary: 'model loaded and every store reachable; 503 otherwise or while shutting down',
  tags: ['service'],
  response: {
    200: {
      type: 'object',
      properties: {
        status: { type: 'string' },
        checks: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    503: {
      type: 'object',
      properties: {
        status: { type: 'string' },
        checks: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
  },
};
