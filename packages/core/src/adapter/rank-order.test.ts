import { describe, expect, it } from 'vitest';
import { byScoreThenId, rankByScoreThenId } from './rank-order.js';

describe('rank order', () => {
  it('orders by score, then ties by id in code-unit order', () => {
    const hits = [
      { id: 'b', score: 1 },
      { id: 'a', score: 1 },
      { id: 'c', score: 2 },
      { id: 'B', score: 1 },
    ];
    expect([...hits].sort(byScoreThenId).map((h) => h.id)).toEqual(['c', 'B', 'a', 'b']);
  });

  it('returns a sorted copy, cut to the limit, and leaves the input alone', () => {
    const hits = [
      { id: 'x', score: 0.1, extra: 1 },
      { id: 'y', score: 0.9, extra: 2 },
    ];
    expect(rankByScoreThenId(hits, 1)).toEqual([{ id: 'y', score: 0.9, extra: 2 }]);
    expect(hits[0]!.id).toBe('x');
  });
});
