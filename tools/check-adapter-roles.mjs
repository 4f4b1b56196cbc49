#!/usr/bin/env node
// One adapter template (issue 12): learn one adapter, know all three. Every adapter's src/ holds
// the same role files under the same names, so this fails `npm run lint` when one adapter lacks
// a role the others have (or a store file grows back past the size a thin delegating class needs).
// Backend-only pieces (milvus colbert-search.ts, elastic maxsim/, qdrant point-id.ts) may sit
// beside them; they are not listed here.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const ADAPTERS = ['qdrant', 'milvus', 'elastic'];
/** `<backend>` stands for the adapter's folder name. */
const ROLES = [
  'index.ts',
  '<backend>-store.ts',
  'options.ts',
  'client.ts',
  'capabilities.ts',
  'server-features.ts',
  'transport.ts',
  'errors.ts',
  'schema.ts',
  'record-codec.ts',
  'filter-translation.ts',
  'write-batches.ts',
  'query-plan.ts',
  'query-run.ts',
  'scan.ts',
  'options.test.ts',
  'query-plan.test.ts',
  'record-codec.test.ts',
  'filter-translation.test.ts',
  '<backend>-store.int.test.ts',
  '<backend>-store.conformance.int.test.ts',
  '<backend>-store.sync.int.test.ts',
];
/** A store class delegates to the role files; past this it is doing their work again. */
const MAX_STORE_LINES = 320;

const problems = [];
for (const adapter of ADAPTERS) {
  const src = join(root, 'packages', adapter, 'src');
  for (const role of ROLES) {
    const file = role.replace('<backend>', adapter);
    if (!existsSync(join(src, file))) problems.push(`packages/${adapter}/src/${file}: missing`);
  }
  const store = join(src, `${adapter}-store.ts`);
  if (existsSync(store)) {
    const lines = readFileSync(store, 'utf8').split('\n').length - 1;
    if (lines > MAX_STORE_LINES)
      problems.push(
        `packages/${adapter}/src/${adapter}-store.ts: ${lines} lines, more than ${MAX_STORE_LINES}: move the work into its role file`,
      );
  }
}
if (problems.length > 0) {
  console.error(`adapter roles: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`adapter roles: ${ADAPTERS.join(', ')} line up on ${ROLES.length} role files`);
