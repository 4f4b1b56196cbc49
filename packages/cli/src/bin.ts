#!/usr/bin/env node
import { EXIT_CODES } from './exit-codes.js';
import { runCli } from './main.js';

// Ctrl-C aborts the running command, which stops at the next safe point with its checkpoint
// saved; a second Ctrl-C exits at once (the checkpoint on disk is still consistent).
const controller = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts++;
  if (interrupts > 1) process.exit(EXIT_CODES.interrupted);
  process.stderr.write(
    '\nm3: interrupted; stopping at the next safe point (Ctrl-C again to quit now)\n',
  );
  controller.abort(new Error('interrupted (SIGINT)'));
});
process.on('SIGTERM', () => controller.abort(new Error('terminated (SIGTERM)')));

// core's ingest() keeps several writes in flight and awaits them later; one that fails while the
// next batch is encoding is rejected before anything awaits it. Node would end the process on
// that "unhandled" rejection with a stack dump, though ingest() handles it a moment later (it
// saves the checkpoint and throws an IngestError, which becomes exit code 3). So a rejection is
// only reported if it is still unhandled when the process ends.
const pendingRejections = new Map<Promise<unknown>, unknown>();
process.on('unhandledRejection', (reason, promise) => pendingRejections.set(promise, reason));
process.on('rejectionHandled', (promise) => pendingRejections.delete(promise));
process.on('exit', (code) => {
  for (const reason of pendingRejections.values()) {
    process.stderr.write(
      `m3: unexpected error: ${reason instanceof Error ? reason.message : String(reason)}\n`,
    );
  }
  if (pendingRejections.size > 0 && code === EXIT_CODES.ok) process.exitCode = EXIT_CODES.usage;
});

// `m3 embed ... | head` closes the pipe early: that is a normal end, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT_CODES.ok);
  throw error;
});

const code = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});
process.exitCode = code;
