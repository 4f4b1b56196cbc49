import type { Parameters } from 'fast-check';

/** The seed every fuzz test starts from, so a red run is the same run on every machine. */
export const DEFAULT_FUZZ_SEED = 20_261_202;

/**
 * fast-check parameters for the bounded fuzz runs of `npm test`: a fixed seed (override with
 * M3KIT_FUZZ_SEED, e.g. with the seed a failure printed) and `runs` cases unless M3KIT_FUZZ_RUNS
 * asks for more. On a failure fast-check prints the seed, the shrunk counterexample and the path
 * to replay it. Sizes are set per test so each file takes seconds even on a loaded machine.
 */
export function fuzzParameters<T = unknown>(
  runs: number,
  options: {
    /** Cap on M3KIT_FUZZ_RUNS for a test whose single run is heavy (e.g. 100 KB texts). */
    readonly maxRuns?: number;
  } = {},
): Parameters<T> {
  const seed = Number(process.env['M3KIT_FUZZ_SEED'] ?? DEFAULT_FUZZ_SEED);
  const override = Number(process.env['M3KIT_FUZZ_RUNS']);
  const asked = Number.isInteger(override) && override > 0 ? override : runs;
  return {
    seed: Number.isInteger(seed) ? seed : DEFAULT_FUZZ_SEED,
    numRuns: Math.min(asked, Math.max(runs, options.maxRuns ?? Number.POSITIVE_INFINITY)),
  };
}
