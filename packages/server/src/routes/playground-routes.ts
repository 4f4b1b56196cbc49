import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../create-server.js';

/** The playground's files: plain HTML, CSS and JS, no build step. Nothing else is served from disk. */
const FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'playground.js': 'text/javascript; charset=utf-8',
  'playground.css': 'text/css; charset=utf-8',
};

const DEFAULT_DIR = fileURLToPath(new URL('../../playground/', import.meta.url));

export async function registerPlaygroundRoutes(
  app: FastifyInstance,
  context: ServerContext,
): Promise<void> {
  const dir = context.options.playgroundDir ?? DEFAULT_DIR;
  const contents = new Map<string, Buffer>();
  for (const name of Object.keys(FILES)) contents.set(name, await readFile(join(dir, name)));
  const send = (name: string) => async (_request: unknown, reply: import('fastify').FastifyReply) =>
    reply
      .type(FILES[name]!)
      .header('cache-control', 'no-cache')
      .header(
        'content-security-policy',
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'",
      )
      .send(contents.get(name));
  const hidden = { schema: { hide: true }, config: { public: true } };
  app.get('/', hidden, send('index.html'));
  for (const name of Object.keys(FILES)) app.get(`/playground/${name}`, hidden, send(name));
}
