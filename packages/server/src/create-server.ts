import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import type { M3StoreV1 } from '@m3kit/core';
import { bearerMatcher } from './auth.js';
import { EncodeBatcher } from './encode-batcher.js';
import { errorReply } from './error-reply.js';
import { HttpError } from './http-error.js';
import { ServerMetrics } from './metrics.js';
import { registerDocumentRoutes } from './routes/document-routes.js';
import { registerEncodeRoutes } from './routes/encode-routes.js';
import { registerPlaygroundRoutes } from './routes/playground-routes.js';
import { registerQueryRoutes } from './routes/query-routes.js';
import { registerServiceRoutes } from './routes/service-routes.js';
import {
  resolveServerOptions,
  type M3ServerOptions,
  type ResolvedServerOptions,
} from './server-options.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without the API key (probes, the playground's static files). */
    readonly public?: boolean;
  }
}

/** What every route handler shares. */
export interface ServerContext {
  readonly options: ResolvedServerOptions;
  readonly batcher: EncodeBatcher;
  readonly metrics: ServerMetrics;
  /** The store serving a collection (the first when unnamed); 404 naming it otherwise. */
  storeFor(collection: string | undefined): M3StoreV1;
  /** True from the moment close() starts. */
  readonly closing: boolean;
}

export interface M3Server {
  readonly app: FastifyInstance;
  readonly batcher: EncodeBatcher;
  readonly metrics: ServerMetrics;
  /** Starts listening; resolves with the address (e.g. http://127.0.0.1:8080). */
  listen(options: { readonly port: number; readonly host?: string }): Promise<string>;
  /**
   * Graceful stop: refuses new requests (503), lets in-flight ones finish, waits for the encoder
   * queue to drain. The stores and the encoder stay open: their owner closes them next.
   */
  close(): Promise<void>;
}

/** Builds the HTTP service (not yet listening) around an open encoder and open stores. */
export async function createM3Server(input: M3ServerOptions): Promise<M3Server> {
  const options = resolveServerOptions(input);
  const metrics = new ServerMetrics();
  const batcher = new EncodeBatcher(options.encoder, options.batching, metrics.batcherObserver());
  const stores = new Map(options.stores.map((store) => [store.collection.name, store]));
  let closing = false;
  const context: ServerContext = {
    options,
    batcher,
    metrics,
    get closing() {
      return closing;
    },
    storeFor(collection) {
      const store = collection === undefined ? options.stores[0]! : stores.get(collection);
      if (!store) {
        throw new HttpError(
          404,
          'not_found',
          `collection "${collection}" is not served here; served: ${[...stores.keys()].join(', ')}`,
          'collection',
        );
      }
      return store;
    },
  };

  const app = buildFastify(options);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'm3kit server',
        description: 'BGE-M3 dense, lexical and ColBERT: embed, hybrid query, ingest',
        version: '0.1.0',
      },
      ...(options.apiKey
        ? {
            components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
            security: [{ bearer: [] }],
          }
        : {}),
    },
  });
  if (options.corsOrigins && options.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: [...options.corsOrigins],
      methods: ['GET', 'POST', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type'],
    });
  }
  // JSON only: a text/plain body is a 415, not a string that fails validation somewhere else.
  app.removeContentTypeParser('text/plain');
  installHooks(app, options, metrics);
  // The batcher waits for company only when it may come: other requests read and not answered.
  app.addHook('onRequest', async (_request, reply) => {
    batcher.requestsInFlight++;
    reply.raw.once('close', () => batcher.requestsInFlight--);
  });
  registerServiceRoutes(app, context);
  registerEncodeRoutes(app, context);
  registerQueryRoutes(app, context);
  registerDocumentRoutes(app, context);
  await registerPlaygroundRoutes(app, context);
  app.addHook('preClose', async () => {
    closing = true;
  });
  // A kept-alive connection that was busy when close() began would otherwise linger until its
  // keep-alive timeout: the responses finished during shutdown close their connection.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });
  app.addHook('onClose', async () => {
    await batcher.idle();
  });
  await app.ready();

  return {
    app,
    batcher,
    metrics,
    async listen({ port, host = '127.0.0.1' }) {
      return app.listen({ port, host });
    },
    async close() {
      closing = true;
      await app.close();
    },
  };
}

function buildFastify(options: ResolvedServerOptions): FastifyInstance {
  return Fastify({
    bodyLimit: options.limits.bodyBytes,
    // While closing, requests on kept-alive connections get 503 and new connections are refused;
    // idle connections close at once, busy ones after their response.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    logger: options.logRequests ? { level: 'info', redact: ['req.headers.authorization'] } : false,
    ajv: {
      // Strict: a typo'd or mistyped field is a 400 naming it, never silently dropped or coerced.
      customOptions: {
        removeAdditional: false,
        coerceTypes: false,
        useDefaults: true,
        allErrors: false,
      },
    },
  });
}

function installHooks(
  app: FastifyInstance,
  options: ResolvedServerOptions,
  metrics: ServerMetrics,
): void {
  const authorized = options.apiKey ? bearerMatcher(options.apiKey) : undefined;
  app.addHook('onRequest', async (request) => {
    if (!authorized || request.routeOptions.config.public) return;
    if (request.method === 'OPTIONS') return;
    if (!authorized(request.headers.authorization)) {
      throw new HttpError(
        401,
        'unauthorized',
        'send the API key as Authorization: Bearer <key>',
        'authorization',
      );
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, method: request.method, status: String(reply.statusCode) });
    metrics.latency.observe({ route, method: request.method }, reply.elapsedTime / 1000);
  });
  app.setErrorHandler(async (error, request, reply) => {
    const mapped = errorReply(error);
    if (mapped.unexpected) request.log.error({ err: error }, 'unexpected error');
    if (mapped.unexpected && !options.logRequests)
      console.error(
        `m3 serve: unexpected error on ${request.method} ${request.routeOptions.url ?? request.url}:`,
        error,
      );
    if (mapped.statusCode === 401) reply.header('www-authenticate', 'Bearer');
    return reply.code(mapped.statusCode).headers(mapped.headers).send(mapped.body);
  });
  app.setNotFoundHandler(async (request, reply) =>
    reply.code(404).send({
      error: {
        code: 'not_found',
        message: `no route ${request.method} ${request.url.split('?')[0]}`,
      },
    }),
  );
}
