/**
 * A fresh, valid collection name per call (lower-case letters, digits and `_`, at most 63
 * characters: the rule resolveCollectionSpec enforces), so parallel runs against one server never
 * collide. `label` says which test made it, for whoever finds it left on a server.
 */
export function uniqueCollectionName(label = 'm3test'): string {
  const clean =
    label
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/^[^a-z]+/, '') || 'm3test';
  const suffix = `${Date.now().toString(36)}_${Math.floor(Math.random() * 36 ** 5).toString(36)}`;
  return `${clean.slice(0, 62 - suffix.length)}_${suffix}`;
}
