import type { Filter } from '../filter/filter.js';
import { validateFilter } from '../filter/validate-filter.js';

/**
 * A filter argument checked where a store receives it (`query.filter`, `count.filter`,
 * `scan.filter`): undefined stays undefined, anything else must be a valid filter, with errors
 * naming the path of the bad node (`count.filter.and[1]`).
 */
export function resolveFilter(filter: Filter | undefined, path: string): Filter | undefined {
  if (filter === undefined) return undefined;
  validateFilter(filter, path);
  return filter;
}
