/**
 * The `m3` command's exit codes: scripts branch on them, so each means one thing.
 * - 0: everything asked for was done;
 * - 1: the command line or the input is wrong (nothing to retry until it is fixed);
 * - 2: done, but some documents or lines were skipped (each one reported on stderr);
 * - 3: the backend failed; what is committed is kept, run the same command again to resume;
 * - 130: interrupted (Ctrl-C); run the same command again to resume.
 */
export const EXIT_CODES = {
  ok: 0,
  usage: 1,
  skipped: 2,
  backend: 3,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];
