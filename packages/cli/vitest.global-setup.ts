import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Compiles src to dist so tests that spawn `dist/bin.js` run the code under test. */
export default function setup(): void {
  const packageDir = dirname(fileURLToPath(import.meta.url));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(packageDir, 'tsconfig.build.json')], {
    cwd: packageDir,
    stdio: 'inherit',
  });
  chmodSync(join(packageDir, 'dist', 'bin.js'), 0o755);
}
