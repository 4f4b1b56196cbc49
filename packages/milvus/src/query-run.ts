import {
  rankCandidates,
  type CandidateScores,
  type M3Embedding,
  type QueryExecution,
  type QueryHit,
  type RankedList,
  type ResolvedCollectionSpec,
  type ResolvedQuery,
  type Signal,
} from '@m3kit/core';
import { colbertScores, colbertTop } from './colbert-search.js';
import {
  choosePath,
  deeper,
  denseList,
  denseSearch,
  nativeRrfRequest,
  rescoreSearch,
  sparseList,
  sparseSearch,
  weightedProven,
  type QueryTargets,
  type SignalList,
} from './query-plan.js';
import { FIELDS } from './collection-layout.js';
import { fetchDocuments, type FetchedDocument } from './record-reads.js';
import { MILVUS_MAX_LIMIT } from './server-features.js';
import { buildHit, byScoreThenId, chunk, type ScoredId } from '@m3kit/core/adapter';
import { IDS_PER_EXPRESSION, request, searchVectors, type RequestContext } from './transport.js';

export interface Ranked {
  readonly hits: readonly ScoredId[];
  readonly scores: CandidateScores;
  readonly execution: QueryExecution;
  readonly warnings: readonly string[];
}

/** One query's state: runs the path query-plan.ts chooses, and collects warnings on the way. */
export class QueryRun {
  private readonly warnings: string[] = [];

  constructor(
    private readonly context: RequestContext,
    private readonly targets: QueryTargets,
    private readonly resolved: ResolvedQuery,
    private readonly filter: string,
  ) {}

  private get embedding(): M3Embedding {
    return this.resolved.query.embedding;
  }

  async execute(): Promise<Ranked> {
    switch (choosePath(this.resolved, this.targets.nativeRrf)) {
      case 'single':
        return this.single(this.resolved.signals[0]!);
      case 'weighted':
        return this.weighted();
      case 'native-rrf':
        return this.nativeRrf();
      case 'client-fusion':
        return this.clientRankFusion();
    }
  }

  private result(
    hits: readonly ScoredId[],
    scores: CandidateScores,
    execution: QueryExecution,
  ): Ranked {
    return { hits, scores, execution, warnings: this.warnings };
  }

  private colbertMode(): QueryExecution['colbert'] {
    return this.resolved.signals.includes('colbert') ? 'client' : 'none';
  }

  /** One signal: its own exact ranking. */
  private async single(signal: Signal): Promise<Ranked> {
    const topK = this.resolved.topK;
    const list = await this.list(signal, topK);
    const hits = list.hits.slice(0, topK);
    const scores = new Map(hits.map((hit) => [hit.id, { [signal]: hit.score }]));
    return this.result(hits, scores, {
      fusion: 'none',
      colbert: this.colbertMode(),
      description: `milvus: ${list.note}`,
    });
  }

  /**
   * compute_score: exact per-signal scores of every candidate, ranked by core. The candidates are
   * each signal's top list; while the proof of query-plan.ts fails, every list goes deeper (x4).
   */
  private async weighted(): Promise<Ranked> {
    const { signals, topK } = this.resolved;
    let depth: Record<Signal, number> | undefined = { ...this.resolved.candidates };
    for (let round = 1; depth !== undefined; round++) {
      const lists = new Map<Signal, SignalList>();
      for (const signal of signals) lists.set(signal, await this.list(signal, depth[signal]));
      const candidates = new Set<string>();
      for (const list of lists.values()) for (const hit of list.hits) candidates.add(hit.id);
      const scores = await this.exactScores([...candidates], lists);
      const ranked = rankCandidates(this.resolved, scores);
      const proven = weightedProven(this.resolved, lists, ranked);
      const next: Record<Signal, number> | undefined = proven ? undefined : deeper(depth, signals);
      if (next !== undefined) {
        depth = next;
        continue;
      }
      if (!proven) {
        this.warnings.push(
          `weighted fusion: could not prove the top ${topK} exact within Milvus' search limit of ${MILVUS_MAX_LIMIT}; results are the best of ${candidates.size} candidates`,
        );
      }
      return this.result(ranked, scores, {
        fusion: 'client',
        colbert: this.colbertMode(),
        description:
          `milvus: ${[...lists.values()].map((l) => l.note).join(' + ')}; exact per-signal scores of ${candidates.size} candidates, ` +
          `weighted (compute_score) fusion on the client` +
          (round > 1 ? ` after ${round} rounds of deepening` : '') +
          (proven ? ' (threshold bound met: exact top-k)' : ''),
      });
    }
    throw new Error('unreachable: weighted fusion returns once its lists reach the search limit');
  }

  /** rrf (with ColBERT, or when native is off) and dbsf: core's fusion over each signal's exact top list. */
  private async clientRankFusion(): Promise<Ranked> {
    const { signals, candidates } = this.resolved;
    const lists: Partial<Record<Signal, RankedList>> = {};
    const scores = new Map<string, Partial<Record<Signal, number>>>();
    const notes: string[] = [];
    for (const signal of signals) {
      const list = await this.list(signal, candidates[signal]);
      const top = list.hits.slice(0, candidates[signal]);
      lists[signal] = { ids: top.map((h) => h.id), scores: top.map((h) => h.score) };
      for (const hit of top) scores.set(hit.id, { ...scores.get(hit.id), [signal]: hit.score });
      notes.push(list.note);
    }
    const ranked = rankCandidates(this.resolved, scores, lists);
    return this.result(ranked, scores, {
      fusion: 'client',
      colbert: this.colbertMode(),
      description: `milvus: ${notes.join(' + ')}; ${this.resolved.fusion} fusion on the client`,
    });
  }

  private async nativeRrf(): Promise<Ranked> {
    const { candidates, rrfK } = this.resolved;
    const response = await request(this.context, 'hybridSearch', () =>
      this.context.client.hybridSearch(nativeRrfRequest(this.targets, this.resolved, this.filter)),
    );
    const hits = ((response.results ?? []) as Array<Record<string, unknown>>)
      .map((row) => ({ id: String(row[FIELDS.id]), score: Number(row['score']) }))
      .sort(byScoreThenId);
    return this.result(hits, new Map(), {
      fusion: 'native',
      colbert: 'none',
      description:
        `milvus: hybridSearch dense(${candidates.dense}) + sparse(${candidates.sparse}), RRFRanker(k=${rrfK}); ` +
        `Milvus' sparse list holds only documents sharing a token with the query`,
    });
  }

  /** Each signal's exact top `depth`, with what it proves about the rest. */
  private async list(signal: Signal, depth: number): Promise<SignalList> {
    if (signal === 'colbert') return this.colbertList(depth);
    if (signal === 'sparse') {
      const search = sparseSearch(this.targets, this.embedding.lexical!, depth, this.filter);
      const [found = []] = search === undefined ? [] : await searchVectors(this.context, search);
      return sparseList(found, Math.min(depth, MILVUS_MAX_LIMIT));
    }
    const search = denseSearch(this.targets, this.embedding.dense!, depth, this.filter);
    const [hits = []] = await searchVectors(this.context, search);
    return denseList(hits, search.limit);
  }

  private async colbertList(depth: number): Promise<SignalList> {
    const top = await colbertTop(
      this.context,
      this.targets.colbert,
      this.embedding.colbert!,
      depth,
      this.filter,
    );
    if (!top.proven) {
      this.warnings.push(
        `colbert: top ${depth} not proven exact within Milvus' search limit of ${MILVUS_MAX_LIMIT}`,
      );
    }
    const kth = top.hits.length >= depth ? top.hits[depth - 1]!.score : Number.NEGATIVE_INFINITY;
    return {
      hits: top.hits,
      scores: top.scores,
      // Scored documents outside the top score at most the k-th; unseen ones at most the unseen bound.
      bound: Math.max(kth, top.unseenBound),
      complete: top.unseenBound === Number.NEGATIVE_INFINITY && top.scores.size <= depth,
      note: `colbert token search grouped by document (depth ${top.searchDepth}) with exact MaxSim of ${top.scores.size} documents`,
    };
  }

  /** Fills in every candidate's exact score for every signal, with searches restricted to the candidates. */
  private async exactScores(
    ids: readonly string[],
    lists: ReadonlyMap<Signal, SignalList>,
  ): Promise<CandidateScores> {
    const scores = new Map<string, Partial<Record<Signal, number>>>(ids.map((id) => [id, {}]));
    for (const [signal, list] of lists) {
      const missing: string[] = [];
      for (const id of ids) {
        const known = list.scores.get(id);
        const entry = scores.get(id);
        if (entry === undefined) continue;
        if (known === undefined) missing.push(id);
        else entry[signal] = known;
      }
      if (missing.length === 0) continue;
      const found = await this.rescore(signal, missing);
      for (const id of missing) {
        const score = found.get(id);
        // Sparse: no shared token means 0. Dense/ColBERT: a document gone since the list was made.
        const entry = scores.get(id)!;
        if (score !== undefined) entry[signal] = score;
        else if (signal === 'sparse') entry[signal] = 0;
        else scores.delete(id);
      }
    }
    return scores;
  }

  private async rescore(signal: Signal, ids: readonly string[]): Promise<Map<string, number>> {
    if (signal === 'colbert')
      return colbertScores(this.context, this.targets.colbert, this.embedding.colbert!, ids);
    const result = new Map<string, number>();
    for (const piece of chunk(ids, IDS_PER_EXPRESSION)) {
      const search = rescoreSearch(this.targets, signal, this.embedding, piece);
      if (search === undefined) return result;
      const [hits = []] = await searchVectors(this.context, search);
      for (const hit of hits) result.set(hit.id, hit.score);
    }
    return result;
  }
}

/** Hits with text and metadata as the query asks, and each candidate's per-signal scores. */
export async function buildHits(
  context: RequestContext,
  spec: ResolvedCollectionSpec,
  resolved: ResolvedQuery,
  ranked: Ranked,
): Promise<QueryHit[]> {
  const needed = resolved.includeText || resolved.includeMetadata;
  const documents = needed
    ? await fetchDocuments(
        context,
        spec,
        ranked.hits.map((hit) => hit.id),
        { text: resolved.includeText, metadata: resolved.includeMetadata, embedding: false },
      )
    : new Map<string, FetchedDocument>();
  return ranked.hits.map(({ id, score }) => {
    const record = documents.get(id)?.record;
    return buildHit(
      {
        id,
        score,
        signalScores: ranked.scores.get(id),
        text: record?.text,
        metadata: record?.metadata,
      },
      resolved,
    );
  });
}
