#!/usr/bin/env bash
# `npm run quickstart` on a fresh clone: install, build, ingest the bundled multilingual sample
# into the embedded store (.m3kit/sample.m3store) and answer hybrid queries with the `m3` CLI.
#
#   npm run quickstart                          # fixtures/tiny-m3: random weights, runs in seconds
#   M3_MODEL=BAAI/bge-m3 npm run quickstart     # the real model (about 2.3 GB, downloaded once)
set -euo pipefail
cd "$(dirname "$0")/../../.."

# Older npm versions run onnxruntime-node's install script, which fetches CUDA binaries from NuGet;
# the CPU build needs none of them (npm 11 does not run install scripts unless approved).
export ONNXRUNTIME_NODE_INSTALL=skip
export TURBO_TELEMETRY_DISABLED=1

step() { printf '\n== %s\n' "$*"; }

if [ ! -f node_modules/.package-lock.json ]; then
  step "install (npm ci)"
  if ! npm ci --no-audit --no-fund; then
    # npm ci refuses a lock file that misses a workspace; npm install repairs it locally.
    echo "quickstart: npm ci failed (package-lock.json out of sync?); trying npm install" >&2
    npm install --no-audit --no-fund
  fi
fi

step "build (turbo)"
npm run build --silent -- --output-logs=errors-only

model="${M3_MODEL:-fixtures/tiny-m3}"
m3() { node packages/cli/dist/bin.js "$@"; }

step "m3 ingest examples/data/sample.jsonl --model $model --collection sample"
m3 ingest examples/data/sample.jsonl --model "$model" --collection sample

step "m3 query \"How do I reset my password?\" (hybrid: FlagEmbedding's weighted compute_score)"
m3 query "How do I reset my password?" --model "$model" --collection sample --top-k 5

step "m3 query \"Passwort vergessen\" --fusion rrf --filter 'tags=faq and lang in de,en,es'"
m3 query "Passwort vergessen" --model "$model" --collection sample --fusion rrf --filter 'tags=faq and lang in de,en,es' --top-k 5

step "m3 stats --collection sample --json"
m3 stats --collection sample --json

if [ "$model" = "fixtures/tiny-m3" ]; then
  printf '\nThe tiny test model has random weights: the rankings above mean nothing.\n'
  printf 'Run M3_MODEL=BAAI/bge-m3 npm run quickstart for real results (downloads about 2.3 GB once).\n'
fi
