/** Where a real-server test finds its server, or why it does not run. */
export interface ServerFromEnv {
  /** The variable's value (a URL or address), or undefined when it is not set. */
  readonly address: string | undefined;
  /** Set when the server is missing: pass it to runStoreConformance / describe.skipIf. */
  readonly skipReason: string | undefined;
}

/**
 * Reads a server address from the environment for an integration test. When it is missing the
 * test must skip loudly: a warning goes to stderr naming the variable. With
 * `M3KIT_REQUIRE_SERVERS=1` (CI, where the servers are started first) a missing server is an
 * error instead, so a suite can never pass by skipping.
 */
export function serverFromEnv(variable: string, what = 'integration tests'): ServerFromEnv {
  const address = process.env[variable]?.trim() || undefined;
  if (address !== undefined) return { address, skipReason: undefined };
  const skipReason = `${variable} not set`;
  if (process.env['M3KIT_REQUIRE_SERVERS'] === '1') {
    throw new Error(`${what}: ${skipReason}, and M3KIT_REQUIRE_SERVERS=1 forbids skipping`);
  }
  console.warn(`SKIPPED: ${what}: ${skipReason}`);
  return { address, skipReason };
}
