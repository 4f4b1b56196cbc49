#!/usr/bin/env node
// The fuzz suite's long run (issue 11): the same fast-check properties `npm test` runs a bounded
// number of times, run `--runs` times each (default 10,000) from one fixed seed. It runs vitest
// per fuzz file with M3KIT_FUZZ_RUNS / M3KIT_FUZZ_SEED, so the long run and CI check the very
// same properties, and prints per file the tests, failures and wall time, plus the machine.
// There is no peer to be a ratio against: the figure is runs without a failure.
//
//   node bench/dist/fuzz-bench.js --runs 10000
//   node bench/dist/fuzz-bench.js --runs 2000 --seed 7 --only readers
//   ES_URL=... node bench/dist/fuzz-bench.js --runs 200 --stores   # adds the real-server adapters
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '20261202' },
    only: { type: 'string', default: '' },
    stores: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');

const root = resolve(fileURLToPath(import.meta.url), '../../..');

interface Target {
  readonly name: string;
  readonly packageDir: string;
  readonly file: string;
  /** vitest -t pattern: only the fuzz tests of a larger file. */
  readonly pattern?: string;
}

const targets: Target[] = [
  {
    name: 'core: validateFilter',
    packageDir: 'packages/core',
    file: 'src/filter/validate-filter.fuzz.test.ts',
  },
  {
    name: 'core: validateRecord',
    packageDir: 'packages/core',
    file: 'src/embedding/validate-record.fuzz.test.ts',
  },
  {
    name: 'conformance: exact store',
    packageDir: 'packages/core',
    file: 'src/store/exact-store.conformance.test.ts',
    pattern: 'fuzz',
  },
  {
    name: 'cli: --filter syntax',
    packageDir: 'packages/cli',
    file: 'src/filter-syntax.fuzz.test.ts',
  },
  {
    name: 'cli: input readers',
    packageDir: 'packages/cli',
    file: 'src/input/readers.fuzz.test.ts',
  },
  {
    name: 'encoder: tokenizer',
    packageDir: 'packages/encoder',
    file: 'src/tokenizer/m3-tokenizer.fuzz.test.ts',
  },
];
if (values.stores) {
  targets.push(
    {
      name: 'conformance: elasticsearch',
      packageDir: 'packages/elastic',
      file: 'src/elastic-store.conformance.int.test.ts',
      pattern: 'fuzz',
    },
    {
      name: 'conformance: milvus',
      packageDir: 'packages/milvus',
      file: 'src/milvus-store.conformance.int.test.ts',
      pattern: 'fuzz',
    },
    {
      name: 'conformance: qdrant',
      packageDir: 'packages/qdrant',
      file: 'src/qdrant-store.conformance.int.test.ts',
      pattern: 'fuzz',
    },
  );
}

interface VitestJson {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  testResults: Array<{
    assertionResults: Array<{ fullName: string; status: string; failureMessages: string[] }>;
  }>;
}

function cpuFlags(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const flags = new Set(info.match(/\b(avx512_vnni|avx512f|avx2)\b/g) ?? []);
    return [...flags].sort().join(', ') || 'no AVX2';
  } catch {
    return 'flags unknown';
  }
}

const output = mkdtempSync(join(tmpdir(), 'm3kit-fuzz-bench-'));
const rows: Array<{ name: string; passed: number; failed: number; seconds: number }> = [];
const failures: string[] = [];
const started = Date.now();
try {
  for (const [index, target] of targets.entries()) {
    if (values.only && !target.name.includes(values.only)) continue;
    const report = join(output, `${index}.json`);
    const t0 = Date.now();
    const result = spawnSync(
      'npx',
      [
        'vitest',
        'run',
        '--maxWorkers=1',
        // A long run outlives any per-test timeout; a hang is what the wall-clock column shows.
        '--testTimeout=3600000',
        '--hookTimeout=3600000',
        '--reporter=json',
        `--outputFile=${report}`,
        target.file,
        ...(target.pattern ? ['-t', target.pattern] : []),
      ],
      {
        cwd: join(root, target.packageDir),
        env: { ...process.env, M3KIT_FUZZ_RUNS: String(runs), M3KIT_FUZZ_SEED: values.seed },
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const seconds = (Date.now() - t0) / 1000;
    let json: VitestJson | undefined;
    try {
      json = JSON.parse(readFileSync(report, 'utf8')) as VitestJson;
    } catch {
      json = undefined;
    }
    if (!json) {
      failures.push(
        `${target.name}: vitest did not report (exit ${result.status})\n${result.stderr.slice(-2000)}`,
      );
      rows.push({ name: target.name, passed: 0, failed: 1, seconds });
      continue;
    }
    for (const file of json.testResults)
      for (const test of file.assertionResults)
        if (test.status === 'failed')
          failures.push(
            `${target.name} > ${test.fullName}\n${test.failureMessages.join('\n').slice(0, 3000)}`,
          );
    rows.push({
      name: target.name,
      passed: json.numPassedTests,
      failed: json.numFailedTests,
      seconds,
    });
    console.error(
      `${target.name}: ${json.numPassedTests} passed, ${json.numFailedTests} failed, ${seconds.toFixed(1)} s`,
    );
  }
} finally {
  rmSync(output, { recursive: true, force: true });
}

const cpu = cpus();
console.log(
  `fuzz long run: ${runs} runs per property (heavy properties capped where their test says), seed ${values.seed}`,
);
console.log(
  `machine: ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'} (${cpuFlags()}), load average at the end ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ')}`,
);
console.log('');
console.log('| fuzz file | tests passed | tests failed | wall time |');
console.log('| --- | --- | --- | --- |');
for (const row of rows)
  console.log(`| ${row.name} | ${row.passed} | ${row.failed} | ${row.seconds.toFixed(1)} s |`);
console.log(
  `| total | ${rows.reduce((s, r) => s + r.passed, 0)} | ${rows.reduce((s, r) => s + r.failed, 0)} | ${((Date.now() - started) / 1000).toFixed(1)} s |`,
);
for (const failure of failures) console.log(`\nFAILED ${failure}`);
process.exitCode = failures.length > 0 ? 1 : 0;
