import { isAbsolute, join, resolve } from 'node:path';
import type { CliEnv } from '../model.js';
import type { Redactor } from '../output/redactor.js';
import { UsageError } from '../usage-error.js';

export const DEFAULT_COLLECTION = 'm3kit';
export const DEFAULT_DATA_DIR = '.m3kit';

/** Credentials from flags; the environment fills what is missing. */
export interface CredentialFlags {
  readonly apiKey?: string | undefined;
  readonly token?: string | undefined;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
}

interface TargetBase {
  readonly collection: string;
  /** The target as it may be printed: no credentials, ever. */
  readonly display: string;
}

export type StoreTarget =
  | (TargetBase & { readonly kind: 'memory'; readonly path: string })
  | (TargetBase & { readonly kind: 'qdrant'; readonly url: string; readonly apiKey?: string })
  | (TargetBase & {
      readonly kind: 'milvus';
      readonly address: string;
      readonly ssl: boolean;
      /** An API token, or `user:password` (Milvus takes both as its token). */
      readonly token?: string;
    })
  | (TargetBase & {
      readonly kind: 'elastic';
      readonly node: string;
      readonly apiKey?: string;
      readonly username?: string;
      readonly password?: string;
    });

const SCHEMES: Record<
  string,
  { kind: 'qdrant' | 'milvus' | 'elastic'; https: boolean; port: number }
> = {
  'qdrant:': { kind: 'qdrant', https: false, port: 6333 },
  'qdrant+http:': { kind: 'qdrant', https: false, port: 6333 },
  'qdrant+https:': { kind: 'qdrant', https: true, port: 6333 },
  'milvus:': { kind: 'milvus', https: false, port: 19530 },
  'milvus+http:': { kind: 'milvus', https: false, port: 19530 },
  'milvus+https:': { kind: 'milvus', https: true, port: 19530 },
  'es:': { kind: 'elastic', https: false, port: 9200 },
  'es+http:': { kind: 'elastic', https: false, port: 9200 },
  'es+https:': { kind: 'elastic', https: true, port: 9200 },
  'elasticsearch:': { kind: 'elastic', https: false, port: 9200 },
  'elasticsearch+http:': { kind: 'elastic', https: false, port: 9200 },
  'elasticsearch+https:': { kind: 'elastic', https: true, port: 9200 },
};

export interface StoreTargetInput {
  readonly store: string | undefined;
  readonly collection: string | undefined;
  readonly dataDir: string | undefined;
  readonly credentials: CredentialFlags;
  readonly env: CliEnv;
  readonly cwd: string;
  readonly command: string;
  /** Every credential found is registered here, so no message can print it. */
  readonly redactor: Redactor;
}

/** Where `--data-dir` (or M3_DATA_DIR, or ./.m3kit) points: the store file and the checkpoints live there. */
export function resolveDataDir(dataDir: string | undefined, env: CliEnv, cwd: string): string {
  const given = dataDir ?? env.M3_DATA_DIR ?? DEFAULT_DATA_DIR;
  return isAbsolute(given) ? given : resolve(cwd, given);
}

/**
 * Parses `--store`: `memory` (the exact store in `<data dir>/<collection>.m3store`),
 * `qdrant://host:port/collection`, `milvus://host:port/collection`, `es://host:port/index`, each
 * also `+https`. Credentials come from flags or the environment (QDRANT_API_KEY, MILVUS_TOKEN,
 * ES_API_KEY, ES_USERNAME + ES_PASSWORD); `user:password@` in the URL is accepted too. All of them
 * go to the redactor; `display` never holds one.
 */
export function parseStoreTarget(input: StoreTargetInput): StoreTarget {
  const { env, credentials, redactor, command } = input;
  for (const secret of [
    credentials.apiKey,
    credentials.token,
    credentials.password,
    env.QDRANT_API_KEY,
    env.MILVUS_TOKEN,
    env.ES_API_KEY,
    env.ES_PASSWORD,
  ]) {
    redactor.add(secret);
  }
  redactor.addBasicAuth(
    credentials.username ?? env.ES_USERNAME,
    credentials.password ?? env.ES_PASSWORD,
  );
  const store = input.store ?? env.M3_STORE ?? 'memory';
  if (store === 'memory' || store === 'memory:' || store === 'exact') {
    const collection = checkCollection(
      input.collection ?? env.M3_COLLECTION ?? DEFAULT_COLLECTION,
      command,
    );
    const path = join(resolveDataDir(input.dataDir, env, input.cwd), `${collection}.m3store`);
    return { kind: 'memory', path, collection, display: `memory (${path})` };
  }
  let url: URL;
  try {
    url = new URL(store);
  } catch {
    throw new UsageError(
      `--store ${redactUrl(store)}: not a store URL (memory, qdrant://host:port/collection, milvus://..., es://...)`,
      { command },
    );
  }
  const scheme = SCHEMES[url.protocol];
  if (!scheme) {
    throw new UsageError(
      `--store: unknown scheme "${url.protocol}" (use memory, qdrant://, milvus://, es://, or their +https forms)`,
      { command },
    );
  }
  const userInUrl = url.username ? decodeURIComponent(url.username) : undefined;
  const passwordInUrl = url.password ? decodeURIComponent(url.password) : undefined;
  redactor.add(userInUrl !== undefined && passwordInUrl === undefined ? userInUrl : undefined);
  redactor.addBasicAuth(userInUrl, passwordInUrl);
  if (!url.hostname) throw new UsageError(`--store ${redactUrl(store)}: no host`, { command });
  const port = url.port === '' ? scheme.port : Number(url.port);
  const host = `${url.hostname}:${port}`;
  const fromPath = decodeURIComponent(url.pathname.replace(/^\/+/, '').replace(/\/+$/, ''));
  if (fromPath.includes('/'))
    throw new UsageError(`--store ${redactUrl(store)}: the path must be one collection name`, {
      command,
    });
  const given = input.collection ?? (fromPath === '' ? env.M3_COLLECTION : undefined);
  if (fromPath !== '' && input.collection !== undefined && input.collection !== fromPath) {
    throw new UsageError(
      `--collection ${input.collection} differs from the collection in --store (${fromPath})`,
      { command },
    );
  }
  const collection = checkCollection(fromPath || given || DEFAULT_COLLECTION, command);
  const http = scheme.https ? 'https' : 'http';
  const display = `${url.protocol}//${host}/${collection}`;
  switch (scheme.kind) {
    case 'qdrant': {
      const apiKey = credentials.apiKey ?? passwordInUrl ?? userInUrl ?? env.QDRANT_API_KEY;
      return {
        kind: 'qdrant',
        url: `${http}://${host}`,
        collection,
        display,
        ...(apiKey ? { apiKey } : {}),
      };
    }
    case 'milvus': {
      const username = credentials.username ?? userInUrl;
      const password = credentials.password ?? passwordInUrl;
      const token =
        credentials.token ??
        credentials.apiKey ??
        (username !== undefined && password !== undefined
          ? `${username}:${password}`
          : env.MILVUS_TOKEN);
      redactor.add(token);
      return {
        kind: 'milvus',
        address: host,
        ssl: scheme.https,
        collection,
        display,
        ...(token ? { token } : {}),
      };
    }
    case 'elastic': {
      const apiKey = credentials.apiKey ?? (userInUrl === undefined ? env.ES_API_KEY : undefined);
      const username = credentials.username ?? userInUrl ?? (apiKey ? undefined : env.ES_USERNAME);
      const password =
        credentials.password ?? passwordInUrl ?? (apiKey ? undefined : env.ES_PASSWORD);
      return {
        kind: 'elastic',
        node: `${http}://${host}`,
        collection,
        display,
        ...(apiKey ? { apiKey } : {}),
        ...(!apiKey && username !== undefined && password !== undefined
          ? { username, password }
          : {}),
      };
    }
  }
}

function checkCollection(name: string, command: string): string {
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(name)) {
    throw new UsageError(
      `collection name ${JSON.stringify(name)} must start with a lower-case letter and hold only a-z, 0-9 and _ (at most 63)`,
      { command },
    );
  }
  return name;
}

/** A URL as it may be printed: whatever sits before `@` in the authority is replaced. */
export function redactUrl(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@');
}
