/** |actual ∩ expected| over the first k of each, divided by min(k, |expected|). */
export function recallOf(
  actual: readonly string[],
  expected: readonly string[],
  k: number,
): number {
  const n = Math.min(k, expected.length);
  if (n === 0) return 1;
  const want = new Set(expected.slice(0, n));
  return actual.slice(0, n).filter((id) => want.has(id)).length / n;
}
