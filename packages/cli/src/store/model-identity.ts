import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ModelRef } from '../model.js';

const LOCAL_PREFIX = 'local:';

/**
 * The model's identity as a collection records it and fingerprints include it: a hub id as it
 * is; a local directory by its name and a hash of its config.json, so the same model copied to
 * another path or machine is the same model (and the tiny test model is not the real one).
 */
export async function modelIdentity(model: ModelRef): Promise<string> {
  if (model.kind === 'hub') return model.id;
  const config = await readFile(join(model.path, 'config.json')).catch(() => Buffer.from(''));
  return `${LOCAL_PREFIX}${basename(model.path)}:${createHash('sha256').update(config).digest('hex').slice(0, 12)}`;
}

/** The hub id a collection's model identity names, or undefined for a local model (its path is not known here). */
export function hubModelOf(identity: string | undefined): string | undefined {
  return identity === undefined || identity.startsWith(LOCAL_PREFIX) ? undefined : identity;
}

/** SHA-256 as hex with node:crypto: the same output as core's own, faster on large texts. */
export function nodeSha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
