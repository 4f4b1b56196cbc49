import type { FastifyReply } from 'fastify';

/** Aborts when the client goes away before its response is sent, so queued work is dropped. */
export function requestSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}
