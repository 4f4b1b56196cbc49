import {
  rankCandidates,
  type QueryHit,
  type QueryResult,
  type RankedList,
  type ResolvedQuery,
  type Signal,
} from '@m3kit/core';
import { buildHit } from '@m3kit/core/adapter';
import type { QueryPlan } from './query-plan.js';
import { retrieveByPointIds } from './record-reads.js';
import { pointToStoredRecord } from './record-codec.js';
import type { QdrantContext } from './transport.js';

/** Sends a plan and turns Qdrant's answer into m3kit's result. */
export async function runQueryPlan(
  context: QdrantContext,
  plan: QueryPlan,
  resolved: ResolvedQuery,
  signal: AbortSignal | undefined,
): Promise<QueryResult> {
  const hits =
    plan.kind === 'server'
      ? await runServerPlan(context, plan, resolved, signal)
      : await runClientPlan(context, plan, resolved, signal);
  return {
    hits,
    execution: {
      fusion: plan.kind === 'server' ? plan.fusion : 'client',
      colbert: resolved.signals.includes('colbert') ? 'native' : 'none',
      description: plan.description,
    },
    warnings: plan.warnings,
  };
}

async function runServerPlan(
  context: QdrantContext,
  plan: Extract<QueryPlan, { kind: 'server' }>,
  resolved: ResolvedQuery,
  signal: AbortSignal | undefined,
): Promise<QueryHit[]> {
  const name = context.collection.name;
  const response = await context.transport.retrying(
    'query',
    (client) => client.query(name, plan.request),
    signal,
  );
  const colbertRows = resolved.query.embedding.colbert?.rows ?? 1;
  const hits: QueryHit[] = [];
  for (const point of response.points) {
    const record = pointToStoredRecord(point, context.options, false);
    if (!record) continue; // not an m3kit point (no document id in its payload)
    // Qdrant's MaxSim is the undivided sum over query rows; core's colbert_score divides.
    const score = plan.single === 'colbert' ? point.score / colbertRows : point.score;
    hits.push(
      buildHit(
        { ...record, score, signalScores: plan.single ? { [plan.single]: score } : {} },
        resolved,
      ),
    );
  }
  return hits;
}

async function runClientPlan(
  context: QdrantContext,
  plan: Extract<QueryPlan, { kind: 'lists' | 'rescore' }>,
  resolved: ResolvedQuery,
  signal: AbortSignal | undefined,
): Promise<QueryHit[]> {
  const name = context.collection.name;
  const searches = plan.requests.map((r) => r.request);
  const responses = await context.transport.retrying(
    'query',
    (client) => client.queryBatch(name, { searches }),
    signal,
  );
  // Keyed by point id: candidates come without payload. (Ties therefore break by point id
  // here, where the exact store breaks them by document id: equal scores either way.)
  const colbertRows = resolved.query.embedding.colbert?.rows ?? 1;
  const scores = new Map<string, Partial<Record<Signal, number>>>();
  const lists: Partial<Record<Signal, RankedList>> = {};
  plan.requests.forEach(({ signal: which }, i) => {
    const ids: string[] = [];
    const listScores: number[] = [];
    for (const point of responses[i]?.points ?? []) {
      const id = String(point.id);
      const score = which === 'colbert' ? point.score / colbertRows : point.score;
      ids.push(id);
      listScores.push(score);
      scores.set(id, { ...scores.get(id), [which]: score });
    }
    lists[which] = { ids, scores: listScores };
  });
  if (plan.kind === 'rescore' && resolved.signals.includes('sparse')) {
    // The sparse rescoring leaves out candidates sharing no token with the query: their
    // lexical matching score is exactly 0.
    for (const perSignal of scores.values()) perSignal.sparse ??= 0;
  }
  const ranked = rankCandidates(resolved, scores, plan.kind === 'lists' ? lists : undefined);
  const records = await retrieveByPointIds(
    context,
    ranked.map((h) => h.id),
    false,
    signal,
  );
  const hits: QueryHit[] = [];
  for (const { id: pointId, score } of ranked) {
    const record = records.get(pointId);
    if (!record) continue; // deleted since it was ranked
    hits.push(
      buildHit(
        {
          ...record,
          score,
          signalScores: plan.kind === 'rescore' ? (scores.get(pointId) ?? {}) : {},
        },
        resolved,
      ),
    );
  }
  return hits;
}
