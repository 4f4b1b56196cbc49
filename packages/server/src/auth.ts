import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Bearer-token check in constant time: both sides are hashed first, so neither the comparison nor
 * an early length mismatch says how much of a guess was right. The key itself is never logged.
 */
export function bearerMatcher(apiKey: string): (header: string | undefined) => boolean {
  const expected = createHash('sha256').update(apiKey).digest();
  return (header) => {
    if (header === undefined) return false;
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    const given = createHash('sha256')
      .update(match?.[1] ?? '')
      .digest();
    return timingSafeEqual(expected, given) && match !== null;
  };
}
