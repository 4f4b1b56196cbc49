import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../create-server.js';
import { badRequest } from '../http-error.js';
import { embedSchema, openaiEmbeddingsSchema } from '../schemas.js';
import { colbertToWire, denseToBase64, denseToWire, lexicalToWire } from '../wire.js';
import { requestSignal } from './request-signal.js';

interface EmbedBody {
  readonly sentences: string | readonly string[];
  readonly return_dense: boolean;
  readonly return_sparse: boolean;
  readonly return_colbert_vecs: boolean;
  readonly max_length?: number;
}

interface OpenAiBody {
  readonly input: string | readonly string[];
  readonly model?: string;
  readonly encoding_format: 'float' | 'base64';
  readonly dimensions?: number;
}

const list = (value: string | readonly string[]): readonly string[] =>
  typeof value === 'string' ? [value] : value;

export function registerEncodeRoutes(app: FastifyInstance, context: ServerContext): void {
  const { limits, encoder } = context.options;

  app.post<{ Body: EmbedBody }>(
    '/embed',
    { schema: embedSchema(limits) },
    async (request, reply) => {
      const body = request.body;
      if (!body.return_dense && !body.return_sparse && !body.return_colbert_vecs) {
        throw badRequest(
          'body',
          'ask for at least one of return_dense, return_sparse, return_colbert_vecs',
        );
      }
      const encoded = await context.batcher.encode(list(body.sentences), {
        dense: body.return_dense,
        sparse: body.return_sparse,
        colbert: body.return_colbert_vecs,
        ...(body.max_length !== undefined ? { maxLength: body.max_length } : {}),
        signal: requestSignal(reply),
      });
      return {
        model: encoder.modelId,
        ...(body.return_dense ? { dense_vecs: encoded.map((e) => denseToWire(e.dense!)) } : {}),
        ...(body.return_sparse
          ? { lexical_weights: encoded.map((e) => lexicalToWire(e.lexical!)) }
          : {}),
        ...(body.return_colbert_vecs
          ? { colbert_vecs: encoded.map((e) => colbertToWire(e.colbert!)) }
          : {}),
        truncation: encoded.map((e) => ({ token_count: e.tokenCount, truncated: e.truncated })),
      };
    },
  );

  app.post<{ Body: OpenAiBody }>(
    '/v1/embeddings',
    { schema: openaiEmbeddingsSchema(limits) },
    async (request, reply) => {
      const body = request.body;
      if (body.dimensions !== undefined && body.dimensions !== encoder.denseDimension) {
        throw badRequest(
          'body.dimensions',
          `this model makes ${encoder.denseDimension}-dimensional vectors and does not shorten them`,
        );
      }
      const encoded = await context.batcher.encode(list(body.input), {
        dense: true,
        sparse: false,
        colbert: false,
        signal: requestSignal(reply),
      });
      const tokens = encoded.reduce((sum, e) => sum + e.tokenCount, 0);
      return {
        object: 'list',
        data: encoded.map((e, index) => ({
          object: 'embedding',
          index,
          embedding:
            body.encoding_format === 'base64' ? denseToBase64(e.dense!) : denseToWire(e.dense!),
        })),
        model: encoder.modelId,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      };
    },
  );
}
