#!/usr/bin/env node
// The `m3` command's link target. It is committed (dist/ is not), so npm links the bin at
// install time, before the first build: npm 10 skips a bin whose target does not exist yet, and
// `npx m3` at the repository root then asked the registry for a package named m3 (404).
try {
  await import('../dist/bin.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/bin.js'))
    throw error;
  process.stderr.write(
    'm3: the CLI is not built yet: run `npm run build` at the repository root\n',
  );
  process.exitCode = 1;
}
