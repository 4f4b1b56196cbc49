import {
  denseScore,
  lexicalMatchingScore,
  rankCandidates,
  type QueryHit,
  type QueryResult,
  type RankedList,
  type ResolvedQuery,
  type Signal,
} from '@m3kit/core';
import {
  buildHit,
  byScoreThenId,
  chunk,
  mapWithConcurrency,
  rankByScoreThenId,
} from '@m3kit/core/adapter';
import { decodeCbor } from './cbor.js';
import { prepareQuery, sharedColbertPool } from './maxsim/colbert-pool.js';
import { ColbertScorer } from './maxsim/colbert-scorer.js';
import {
  fillerSearch,
  planExactQuery,
  planServerQuery,
  type CandidateList,
  type PlanContext,
} from './query-plan.js';
import { decodeDense, decodeLexical, type ElasticSource } from './record-codec.js';
import { searchAll } from './scan.js';
import { FIELDS } from './schema.js';
import type { ElasticTransport, SearchHit } from './transport.js';
import { COLBERT_VALUE_BYTES } from './colbert-codec.js';

/** Elasticsearch rounds stored sparse weights down to 9 significant bits: at most 2^-8 relative. */
export const SPARSE_RELATIVE_ERROR = 2 ** -8;
const MGET_CHUNK = 500;
const SCAN_PAGE = 200;
const COLBERT_FETCHES_IN_FLIGHT = 3;

type Hit = SearchHit<ElasticSource>;

/** Everything a query run needs besides the query. */
export interface RunContext extends PlanContext {
  readonly transport: ElasticTransport;
  readonly colbertKernel: 'auto' | 'javascript';
  /** Threads that score ColBERT candidates (worker threads when 2 or more). */
  readonly colbertThreads: number;
  /** Largest response the ColBERT fetches aim for (the write batch size). */
  readonly maxBatchBytes: number;
}

/** One candidate document and what is known of it. */
interface Candidate {
  readonly id: string;
  source: ElasticSource;
  readonly scores: Partial<Record<Signal, number>>;
}

/** Runs an exactly scored query: candidates from Elasticsearch, every score on the client. */
export async function runExactQuery(
  resolved: ResolvedQuery,
  context: RunContext,
  signal?: AbortSignal,
): Promise<QueryResult> {
  const { signals, candidates: depth } = resolved;
  const embedding = resolved.query.embedding;
  const plan = planExactQuery(resolved, context);
  const candidates = new Map<string, Candidate>();
  const sourceHits: Partial<Record<CandidateList, Hit[]>> = {};
  const steps = [...plan.steps];
  if (plan.searches.length > 0) {
    const responses = await context.transport.msearch<ElasticSource>(
      plan.searches.map((s) => s.body),
      signal,
    );
    plan.searches.forEach((search, i) => {
      const hits = responses[i]!.hits.hits.map(withId);
      sourceHits[search.list] = hits;
      for (const hit of hits) addCandidate(candidates, hit);
    });
  }
  // A dense search that found fewer documents than asked leaves the rest to score 0 for dense;
  // the exact store ranks such ties by id, so fetch them the same way. (A sparse list holds only
  // documents sharing a token with the query, in the exact store as in Elasticsearch: no fill.)
  const denseHits = sourceHits.dense ?? [];
  if (plan.fillDense && denseHits.length < depth.dense) {
    const body = fillerSearch({
      exclude: denseHits.map((h) => h._id),
      size: depth.dense - denseHits.length,
      filter: context.filter,
      source: plan.includes,
    });
    const extra = await context.transport.search<ElasticSource>(body, signal);
    for (const hit of extra.hits.hits) addCandidate(candidates, { ...hit, _score: null });
    sourceHits.dense = [...denseHits, ...extra.hits.hits.map((h) => ({ ...h, _score: 0 }))];
    steps.push(`dense zero-score fill(${extra.hits.hits.length})`);
  }
  if (plan.fullScan) {
    const scanned = await searchAll(context.transport, {
      filter: context.filter,
      includes: plan.includes,
      pageSize: SCAN_PAGE,
      ...(signal ? { signal } : {}),
    });
    for (const hit of scanned) addCandidate(candidates, hit);
    steps.push(`full scan(${scanned.length})`);
  }

  const wantColbert = signals.includes('colbert');
  const kernel = wantColbert
    ? await scoreColbert(
        candidates,
        resolved,
        context,
        plan.sourceWithColbert ? plan.includes : [],
        signal,
      )
    : undefined;
  for (const candidate of candidates.values()) {
    const source = candidate.source;
    if (signals.includes('dense')) {
      candidate.scores.dense =
        source.dense_exact && embedding.dense
          ? denseScore(embedding.dense, decodeDense(source.dense_exact))
          : 0;
    }
    if (signals.includes('sparse')) {
      candidate.scores.sparse =
        source.lexical_exact && embedding.lexical
          ? lexicalMatchingScore(embedding.lexical, decodeLexical(source.lexical_exact))
          : 0;
    }
  }

  const warnings: string[] = [];
  const lists: Partial<Record<Signal, RankedList>> = {};
  if (signals.length > 1 && resolved.fusion !== 'weighted') {
    for (const s of ['dense', 'sparse'] as const) {
      if (signals.includes(s)) lists[s] = exactList(sourceHits[s] ?? [], candidates, s, depth[s]);
    }
    if (wantColbert)
      lists.colbert = exactList(
        [...candidates.values()].map((c) => ({ _id: c.id })),
        candidates,
        'colbert',
        depth.colbert,
      );
  }
  if (signals.includes('sparse')) {
    const warning = checkSparseCutoff(
      sourceHits.sparse ?? [],
      candidates,
      depth.sparse,
      plan.sparseFetch,
    );
    if (warning) warnings.push(warning);
  }
  const scores = new Map([...candidates.values()].map((c) => [c.id, c.scores] as const));
  const hits = rankCandidates(resolved, scores, lists).map(({ id, score }) =>
    toHit(id, score, candidates.get(id)!, resolved),
  );
  return {
    hits,
    execution: {
      fusion: signals.length > 1 ? 'client' : 'none',
      colbert: wantColbert ? 'client' : 'none',
      description:
        `elasticsearch: ${steps.join(', ') || 'no candidates'} -> ${candidates.size} candidates, exact client scoring of ` +
        `${signals.join('+')}${kernel ? ` (ColBERT ${context.layout.colbertEncoding} via ${kernel})` : ''}` +
        (signals.length > 1 ? `, ${resolved.fusion} fusion on the client` : ''),
    },
    warnings,
  };
}

/**
 * Dense + sparse in one request scored by Elasticsearch (`scoring: 'server'`); see ScoringMode and
 * planServerQuery. The hit's score is recomposed from the two named parts, which also drops the
 * w_d / W offset the kNN transform adds to its matches. Other queries run exactly, with a warning.
 */
export async function runServerQuery(
  resolved: ResolvedQuery,
  context: RunContext,
  signal?: AbortSignal,
): Promise<QueryResult> {
  const plan = planServerQuery(resolved, context);
  if (plan === undefined) {
    const result = await runExactQuery(resolved, context, signal);
    return {
      ...result,
      warnings: [
        ...result.warnings,
        'scoring "server" covers dense/sparse weighted queries only; this one was scored exactly on the client',
      ],
    };
  }
  const { signals } = resolved;
  const response = await context.transport.search<ElasticSource>(plan.body, signal, {
    include_named_queries_score: 'true',
  });
  const hits: QueryHit[] = response.hits.hits.map((hit) => {
    const named = (Array.isArray(hit.matched_queries) ? {} : hit.matched_queries) ?? {};
    const signalScores: Partial<Record<Signal, number>> = {};
    let score = 0;
    if (plan.useDense && named.dense !== undefined) {
      // The kNN ran on the normalised query; scale back to the caller's vector length.
      signalScores.dense = (named.dense / plan.denseShare - 1) * plan.denseNorm;
      score += plan.denseShare * signalScores.dense;
    }
    if (plan.useSparse) {
      signalScores.sparse = named.sparse === undefined ? 0 : named.sparse / plan.sparseShare;
      score += plan.sparseShare * signalScores.sparse;
    }
    return toHit(
      hit._id,
      score,
      { id: hit._id, source: hit._source ?? {}, scores: signalScores },
      resolved,
    );
  });
  if (hits.length < resolved.topK && plan.useDense) {
    // Fewer matches than asked: the rest score 0 (no shared token, no vector), ranked by id.
    // Not for sparse alone: a sparse ranking holds only documents sharing a token with the query.
    const body = fillerSearch({
      exclude: hits.map((h) => h.id),
      size: resolved.topK - hits.length,
      filter: context.filter,
      source: plan.includes,
    });
    const extra = await context.transport.search<ElasticSource>(body, signal);
    for (const hit of extra.hits.hits) {
      const zero: Partial<Record<Signal, number>> = Object.fromEntries(signals.map((s) => [s, 0]));
      hits.push(
        toHit(hit._id, 0, { id: hit._id, source: hit._source ?? {}, scores: zero }, resolved),
      );
    }
  }
  hits.sort(byScoreThenId);
  return {
    hits: hits.slice(0, resolved.topK),
    execution: {
      fusion: signals.length > 1 ? 'native' : 'none',
      colbert: 'none',
      description: plan.description,
    },
    warnings: [],
  };
}

/**
 * Fetches and scores every candidate's ColBERT blob; `includes`: `_source` fields to read with it
 * (one read of the document's stored fields, which hold the blob and `_source` together).
 */
async function scoreColbert(
  candidates: Map<string, Candidate>,
  resolved: ResolvedQuery,
  context: RunContext,
  includes: readonly string[],
  signal?: AbortSignal,
): Promise<string> {
  const query = resolved.query.embedding.colbert!;
  const pool = context.colbertKernel === 'auto' ? sharedColbertPool(context.colbertThreads) : null;
  // Without workers the scorer runs here, on the main thread, as each chunk arrives.
  const scorer = pool === null ? new ColbertScorer(query, { kernel: context.colbertKernel }) : null;
  const prepared = pool === null ? null : prepareQuery(query);
  const ids = [...candidates.keys()];
  // Blobs are large (int8: ~1 KiB a row, 100 candidates of 256 rows are ~25 MiB): fetch them in
  // chunks, a few requests in flight so Elasticsearch's serialising overlaps the scoring here,
  // and score each chunk as it arrives. At least two chunks a worker, so all of them get work.
  const rowBytes = query.dim * COLBERT_VALUE_BYTES[context.layout.colbertEncoding];
  const byBytes = Math.floor(context.maxBatchBytes / (rowBytes * 256));
  const perWorker = pool === null ? ids.length : Math.ceil(ids.length / (2 * pool.threads));
  const chunkSize = Math.max(1, Math.min(MGET_CHUNK, byBytes, perWorker));
  const chunks = chunk(ids, chunkSize);
  await mapWithConcurrency(
    chunks,
    COLBERT_FETCHES_IN_FLIGHT,
    async (part) => {
      // CBOR carries the blobs as raw bytes (JSON would carry base64 strings a third larger).
      const response = await context.transport.request(
        {
          method: 'POST',
          path: '/_mget',
          what: 'fetch ColBERT vectors',
          body: { ids: part },
          querystring: {
            stored_fields: FIELDS.colbert,
            _source: includes.length > 0 ? includes.join(',') : 'false',
            filter_path: `docs._id,docs.fields${includes.length > 0 ? ',docs._source' : ''}`,
          },
          // Plain JSON in, so the Accept header needs no compatible-with version (8 or 9).
          headers: { accept: 'application/cbor', 'content-type': 'application/json' },
        },
        signal,
      );
      const bytes = response instanceof Uint8Array ? response : undefined;
      const decoded = (bytes ? decodeCbor(bytes) : response) as {
        docs?: {
          _id?: unknown;
          _source?: ElasticSource;
          fields?: Record<string, (Uint8Array | string)[]>;
        }[];
      };
      const found: { candidate: Candidate; blob: Uint8Array | string }[] = [];
      for (const doc of decoded.docs ?? []) {
        const candidate = candidates.get(String(doc._id));
        if (candidate !== undefined && doc._source !== undefined)
          candidate.source = { ...candidate.source, ...doc._source };
        const blob = doc.fields?.[FIELDS.colbert]?.[0];
        if (candidate !== undefined && blob !== undefined) found.push({ candidate, blob });
      }
      if (pool !== null && bytes !== undefined && found.every((f) => typeof f.blob !== 'string')) {
        const spans = new Uint32Array(found.length * 2);
        found.forEach(({ blob }, i) => {
          spans[2 * i] = (blob as Uint8Array).byteOffset - bytes.byteOffset;
          spans[2 * i + 1] = (blob as Uint8Array).byteLength;
        });
        const scores = await pool.score(prepared!, { bytes, spans });
        found.forEach(({ candidate }, i) => {
          candidate.scores.colbert = scores[i]!;
        });
        return;
      }
      const local = scorer ?? new ColbertScorer(query, { kernel: context.colbertKernel });
      for (const { candidate, blob } of found) {
        candidate.scores.colbert =
          typeof blob === 'string' ? local.scoreBase64(blob) : local.scoreBytes(blob);
      }
    },
    signal,
  );
  for (const candidate of candidates.values()) candidate.scores.colbert ??= 0;
  return pool === null
    ? (scorer?.kernel ?? 'wasm-simd')
    : `wasm-simd on ${pool.threads} worker threads`;
}

/**
 * Whether the exact sparse list is certain up to its cut-off: an unfetched document scored at
 * most the last fetched one by Elasticsearch, so exactly at most that / (1 - 2^-8).
 */
function checkSparseCutoff(
  hits: readonly Hit[],
  candidates: Map<string, Candidate>,
  depth: number,
  fetched: number,
): string | undefined {
  if (hits.length < fetched) return undefined; // everything that matched was fetched
  const lastServerScore = hits[hits.length - 1]?._score ?? 0;
  const exact = hits.map((h) => candidates.get(h._id)?.scores.sparse ?? 0).sort((a, b) => b - a);
  const cutoff = exact[Math.min(depth, exact.length) - 1] ?? 0;
  if (cutoff >= (lastServerScore / (1 - SPARSE_RELATIVE_ERROR)) * (1 + 1e-6)) return undefined;
  return `sparse candidates near the cut-off (${depth}) may differ from the exact ranking: Elasticsearch rounds stored weights to 9 bits`;
}

/** A hit of an ids-only search carries its id in `fields.id` (see HitFields in query-plan.ts). */
function withId(hit: Hit): Hit {
  if (hit._id !== undefined) return hit;
  return { ...hit, _id: String(hit.fields?.[FIELDS.id]?.[0]) };
}

function addCandidate(candidates: Map<string, Candidate>, hit: Hit): void {
  const existing = candidates.get(hit._id);
  if (existing === undefined)
    candidates.set(hit._id, { id: hit._id, source: hit._source ?? {}, scores: {} });
  else if (hit._source) existing.source = { ...hit._source, ...existing.source };
}

/** One signal's list: its search's documents ranked by exact score (ties by id), cut at depth. */
function exactList(
  hits: readonly Pick<Hit, '_id'>[],
  candidates: Map<string, Candidate>,
  signal: Signal,
  depth: number,
): RankedList {
  const scored = rankByScoreThenId(
    hits.map((hit) => ({ id: hit._id, score: candidates.get(hit._id)?.scores[signal] ?? 0 })),
    depth,
  );
  return { ids: scored.map((s) => s.id), scores: scored.map((s) => s.score) };
}

function toHit(id: string, score: number, candidate: Candidate, resolved: ResolvedQuery): QueryHit {
  const { text, metadata } = candidate.source;
  return buildHit({ id, score, signalScores: candidate.scores, text, metadata }, resolved);
}
