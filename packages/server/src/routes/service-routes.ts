import { UnsupportedError, type M3StoreV1 } from '@m3kit/core';
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../create-server.js';
import { HEALTH_SCHEMA, READY_SCHEMA } from '../schemas.js';

/** How long a readiness probe waits for a store before calling it unreachable. */
const READY_TIMEOUT_MS = 2000;

export function registerServiceRoutes(app: FastifyInstance, context: ServerContext): void {
  app.get('/healthz', { schema: HEALTH_SCHEMA, config: { public: true } }, async () => ({
    status: 'ok',
  }));

  app.get(
    '/readyz',
    { schema: READY_SCHEMA, config: { public: true } },
    async (_request, reply) => {
      const checks: Record<string, string> = {
        model: context.options.encoder.modelId ? 'ok' : 'not loaded',
      };
      if (context.closing) checks.server = 'shutting down';
      await Promise.all(
        context.options.stores.map(async (store) => {
          checks[`store:${store.collection.name}`] = await probe(store);
        }),
      );
      const ready = Object.values(checks).every((v) => v === 'ok');
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
    },
  );

  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics', tags: ['service'] } },
    async (_request, reply) => {
      const text = await context.metrics.registry.metrics();
      return reply.type(context.metrics.registry.contentType).send(text);
    },
  );

  app.get(
    '/openapi.json',
    { schema: { summary: 'this document', tags: ['service'] }, config: { public: true } },
    async () => app.swagger(),
  );
}

/** `exists()`, or `count()` on an adapter that does not implement it yet: either answers only when the store is reachable. */
async function probe(store: M3StoreV1): Promise<string> {
  const signal = AbortSignal.timeout(READY_TIMEOUT_MS);
  try {
    return (await store.exists({ signal })) ? 'ok' : 'collection does not exist';
  } catch (error) {
    if (UnsupportedError.isInstance(error))
      return store.count(undefined, { signal }).then(() => 'ok', unreachable);
    return unreachable(error);
  }
}

function unreachable(error: unknown): string {
  return `unreachable: ${error instanceof Error ? error.message : String(error)}`;
}
