import type { ElasticClient } from './client.js';
import { toM3Error } from './errors.js';

/**
 * What the connected cluster offers, detected from its version, its modules and its licence
 * (`GET _nodes/_local`, `GET _license`). Detection cannot see everything (a module can be
 * present but disabled), so every field can be overridden through the store's
 * `clusterFeatures` option.
 */
export interface ClusterFeatures {
  /** e.g. "8.19.21"; "unknown" when the cluster did not say. */
  readonly version: string;
  /** Installed modules and plugins, e.g. ["x-pack-core", "transport-netty4"]. */
  readonly modules: readonly string[];
  /** Licence type: basic, trial, platinum, enterprise; "unknown" when not readable. */
  readonly license: string;
  /** `rank_vectors` field (8.18+, module rank-vectors, Enterprise or trial licence). */
  readonly rankVectors: boolean;
  /** `rrf` retriever (module rank-rrf, Enterprise or trial licence). */
  readonly rrfRetriever: boolean;
  /** `linear` retriever (8.18+, module rank-rrf, Enterprise or trial licence). */
  readonly linearRetriever: boolean;
  /** `sparse_vector` query (8.15+; in the server itself, no module needed). */
  readonly sparseVectorQuery: boolean;
  /** `bbq_hnsw` / `bbq_flat` dense index types (8.16+). */
  readonly bbq: boolean;
  /** kNN `rescore_vector`: quantised candidates re-scored with the float vectors (8.18+). */
  readonly knnRescoreVector: boolean;
}

/** Compares dotted versions numerically: atLeast("8.19.21", "8.18") is true. */
export function atLeast(version: string, wanted: string): boolean {
  const have = version.split(/[.-]/).map((part) => Number.parseInt(part, 10));
  const want = wanted.split('.').map((part) => Number.parseInt(part, 10));
  for (let i = 0; i < want.length; i++) {
    const a = have[i] ?? 0;
    const b = want[i] ?? 0;
    if (Number.isNaN(a)) return false;
    if (a !== b) return a > b;
  }
  return true;
}

/** Derives the feature flags from version, modules and licence (pure: unit-tested). */
export function featuresFrom(
  version: string,
  modules: readonly string[],
  license: string,
): ClusterFeatures {
  const known = version !== 'unknown';
  const licensed = license === 'enterprise' || license === 'trial';
  const hasRankRrf = modules.includes('rank-rrf');
  return {
    version,
    modules,
    license,
    rankVectors: known && atLeast(version, '8.18') && modules.includes('rank-vectors') && licensed,
    rrfRetriever: known && atLeast(version, '8.14') && hasRankRrf && licensed,
    linearRetriever: known && atLeast(version, '8.18') && hasRankRrf && licensed,
    sparseVectorQuery: known && atLeast(version, '8.15'),
    bbq: known && atLeast(version, '8.16'),
    knnRescoreVector: known && atLeast(version, '8.18'),
  };
}

interface NodesInfo {
  nodes?: Record<
    string,
    { version?: string; modules?: { name?: string }[]; plugins?: { name?: string }[] }
  >;
}

/** Asks the cluster; each probe that fails (e.g. missing privileges) leaves its part "unknown". */
export async function detectClusterFeatures(
  client: ElasticClient,
  signal?: AbortSignal,
): Promise<ClusterFeatures> {
  const get = (path: string, querystring: Record<string, string> = {}): Promise<unknown> =>
    client.transport.request({ method: 'GET', path, querystring }, signal ? { signal } : {});
  let version = 'unknown';
  let modules: string[] = [];
  let license = 'unknown';
  try {
    const info = (await get('/_nodes/_local/plugins', {
      filter_path: 'nodes.*.version,nodes.*.modules.name,nodes.*.plugins.name',
    })) as NodesInfo;
    const node = Object.values(info.nodes ?? {})[0];
    if (node?.version) version = node.version;
    modules = [...(node?.modules ?? []), ...(node?.plugins ?? [])]
      .map((m) => String(m.name))
      .sort();
  } catch (error) {
    if (signal?.aborted) throw toM3Error(error, 'cluster detection');
    // Without monitor privileges: the version alone, from the root endpoint.
    try {
      const root = (await get('/')) as { version?: { number?: string } };
      version = root.version?.number ?? version;
    } catch {
      // stays unknown
    }
  }
  try {
    const response = (await get('/_license')) as { license?: { type?: string } };
    license = response.license?.type ?? license;
  } catch (error) {
    if (signal?.aborted) throw toM3Error(error, 'cluster detection');
  }
  return featuresFrom(version, modules, license);
}
