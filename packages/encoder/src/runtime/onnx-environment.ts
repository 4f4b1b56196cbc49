/**
 * onnxruntime-node (1.2x and 1.30 on Linux) starts Microsoft's telemetry SDK when its environment
 * is created, at the first session. That SDK reads `/proc/self/cmdline` (the whole process's
 * arguments, whatever argv a worker is given) and parses it with a `std::regex`; libstdc++'s regex
 * engine recurses once per character, so a long command line overflows the stack: a worker
 * thread's 4 MB at ~14.5 KB of arguments, the main thread's 8 MB at ~30 KB. `m3 query "<20,000
 * characters>"` died that way (SIGSEGV, nothing on stderr). onnxruntime skips the SDK when
 * `ORT_DISABLE_TELEMETRY` is set; it reads it with getenv(), so it must be in the process's real
 * environment (a worker's `env` option would not reach it) before the first session is created.
 * Leaving telemetry off also keeps a query typed on the command line from becoming its `appId`.
 * A value the user set explicitly is kept.
 */
export function disableOnnxTelemetry(): void {
  if (process.env.ORT_DISABLE_TELEMETRY === undefined) process.env.ORT_DISABLE_TELEMETRY = '1';
}
