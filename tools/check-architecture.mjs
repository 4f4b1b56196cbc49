#!/usr/bin/env node
// Lint for the monorepo's architecture, run per package by `npm run lint`:
// - a package imports only its declared dependencies, peers and Node built-ins (no upward or
//   sideways imports: adapters see core and their own client, never each other);
// - core has no runtime dependencies;
// - no relative import escapes the package folder;
// - no `any` in exported signatures (`: any`, `<any>`, `as any` in src, tests excepted).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, resolve } from 'node:path';

const packageDir = resolve(process.argv[2] ?? '.');
const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
const allowed = new Set([
  ...Object.keys(manifest.dependencies ?? {}),
  ...Object.keys(manifest.peerDependencies ?? {}),
  manifest.name,
]);
const problems = [];

if (manifest.name === '@m3kit/core' && Object.keys(manifest.dependencies ?? {}).length > 0) {
  problems.push('package.json: @m3kit/core must have no runtime dependencies');
}

for (const file of sourceFiles(join(packageDir, 'src'))) {
  const isTest = /\.(int\.)?test\.ts$|\.int-helper\.ts$/.test(file); // int-helper: shared by int tests, never built
  const text = readFileSync(file, 'utf8');
  const where = relative(packageDir, file);
  for (const match of text.matchAll(
    /(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g,
  )) {
    const specifier = match[1] ?? match[2];
    checkSpecifier(specifier, file, where, isTest);
  }
  if (!isTest && /(:\s*any\b|<any>|\bas any\b)/.test(text)) problems.push(`${where}: uses \`any\``);
}

function checkSpecifier(specifier, file, where, isTest) {
  if (specifier.startsWith('.')) {
    const target = resolve(file, '..', specifier);
    if (!target.startsWith(packageDir))
      problems.push(`${where}: relative import leaves the package: ${specifier}`);
    return;
  }
  if (specifier.startsWith('node:') || builtinModules.includes(specifier)) return;
  const name = specifier.startsWith('@')
    ? specifier.split('/').slice(0, 2).join('/')
    : specifier.split('/')[0];
  const devOnly = Object.keys(manifest.devDependencies ?? {});
  if (allowed.has(name)) return;
  if (isTest && (devOnly.includes(name) || name === 'vitest')) return;
  problems.push(
    `${where}: imports ${name}, which package.json does not declare as a dependency or peer`,
  );
}

function* sourceFiles(dir) {
  let entries = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (path.endsWith('.ts')) yield path;
  }
}

if (problems.length > 0) {
  console.error(`${manifest.name}: architecture check failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`${manifest.name}: architecture check passed`);
