import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { runStoreConformance } from '../conformance/index.js';
import { ExactStore } from './exact-store.js';

// The exact store must pass the suite it is the yardstick of; persisted, so that a second
// instance finds the collection the first one created, as a server-backed store would.
const directory = mkdtempSync(join(tmpdir(), 'm3kit-exact-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

runStoreConformance({
  name: 'exact (persisted)',
  create: async (spec) =>
    new ExactStore({ collection: spec, path: join(directory, `${spec.name}.m3store`) }),
});
