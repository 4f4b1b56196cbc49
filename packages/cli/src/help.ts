/** `--help` text of each command: what it does, its flags, and examples that run as written. */
import { serveHelp } from './commands/serve.js';

const STORE_TARGET_FLAGS = `  -s, --store URL         memory (default): the embedded exact store in <data dir>/<collection>.m3store
                          qdrant://host:6333/collection   (qdrant+https:// for TLS)
                          milvus://host:19530/collection  (milvus+https://)
                          es://host:9200/index            (es+https://)
  -c, --collection NAME   collection or index (default m3kit; or the URL's path)
      --data-dir DIR      where the embedded store and checkpoints live (default ./.m3kit)`;

const SCHEMA_FLAGS = `      --signals LIST      stored signals, e.g. dense,sparse (default all three, or the collection's)
      --field NAME:TYPE   index a metadata field for filtering (keyword, keyword[], integer, float,
                          boolean); repeatable`;

const CREDENTIAL_FLAGS = `      --api-key KEY       Qdrant or Elasticsearch API key    (env QDRANT_API_KEY, ES_API_KEY)
      --token TOKEN       Milvus token                       (env MILVUS_TOKEN)
      --username NAME     Elasticsearch or Milvus user       (env ES_USERNAME)
      --password PASS     its password                       (env ES_PASSWORD)
                          Prefer the environment: flags show up in the process list.
                          Credentials are never printed.`;

const STORE_FLAGS = `
Store:
${STORE_TARGET_FLAGS}
${SCHEMA_FLAGS}
${CREDENTIAL_FLAGS}`;

const COMMON_FLAGS = `  -v, --verbose           on an error, show its causes
  -h, --help              this help`;

const ENVIRONMENT = `Environment: M3_MODEL, M3_STORE, M3_COLLECTION, M3_DATA_DIR, and the credentials above.
Model: --model DIR (or M3_MODEL) loads a local directory; a hub id is downloaded once into
  M3KIT_CACHE (default ~/.cache/m3kit). HF_HUB_OFFLINE=1 never uses the network, HF_TOKEN opens
  gated repositories, HF_ENDPOINT names a mirror.`;

export const MAIN_HELP = `m3: BGE-M3's dense, lexical and ColBERT outputs on Qdrant, Milvus, Elasticsearch or an embedded store

Usage: m3 <command> [options]

Commands:
  ingest PATH|-      read JSONL, CSV, Markdown and text files or folders; chunk, encode and write them
  query "TEXT"       search: dense, sparse, ColBERT or hybrid, with metadata filters
  stats              count the points of a collection
  drop --yes         delete a collection and all its points
  embed [FILE|-]     JSONL {"id","text"} in, FlagEmbedding-style embeddings out
  tokenize [FILE|-]  JSONL {"id","text"} in, token ids out
  serve              HTTP service: embed, hybrid query, ingest, OpenAI embeddings, playground

Examples:
  m3 ingest examples/data/sample.jsonl --model fixtures/tiny-m3
  m3 query "how do I reset my password" --model fixtures/tiny-m3 --filter 'lang=en'
  m3 stats --json

Run \`m3 <command> --help\` for a command's options.
Exit codes: 0 ok, 1 usage or input error, 2 some input skipped, 3 backend error (resumable), 130 interrupted.`;

export const COMMAND_HELP: Record<string, string> = {
  ingest: `Usage: m3 ingest PATH|- [options]

Reads documents, splits them into chunks with the model's tokenizer, encodes them and writes them
to a store. A checkpoint under the data dir records what is committed: after Ctrl-C, a crash or
kill -9, run the same command again and it resumes (nothing lost, nothing duplicated; chunk ids
are <document id>#<n>, so rewriting is idempotent).

Input (PATH is a file, a folder read recursively, or - for stdin):
  .jsonl / .ndjson        one JSON object per line: "id", "text", other keys -> metadata
  .csv / .tsv             a header row; "id" and "text" columns, other columns -> metadata
                          (numbers and true/false typed, so range filters work)
  .md and other files     one document per file, id = path relative to PATH; Markdown front
                          matter -> metadata; binary and non-UTF-8 files are reported and skipped
  Malformed lines are reported as file:line and skipped; the rest is ingested.

Options:
  -m, --model DIR|ID      model directory or Hugging Face id (default $M3_MODEL or BAAI/bge-m3)
      --max-tokens N      tokens per chunk, <s> and </s> included (default 512)
      --overlap N         tokens shared by consecutive chunks (default 64)
      --format F          jsonl, csv, tsv, markdown or text (default: from the extension; stdin jsonl)
      --id-field NAME     JSONL key / CSV column of the id (default id)
      --text-field NAME   JSONL key / CSV column of the text (default text)
      --batch-documents N documents encoded per batch (default 16)
      --on-error skip|stop  skip and report bad documents (default) or stop at the first
      --max-file-bytes N  skip Markdown/text files larger than this (default 64 MiB)
      --threads N         encoder threads (default one per core; with the database on this
                          machine, one fewer leaves the writes a core)
      --json              print the summary as JSON
      --progress-interval MS  plain progress lines this often when stderr is not a terminal
                          (default 5000)
${STORE_FLAGS}
${COMMON_FLAGS}

A new server collection indexes the metadata fields of the first 100 documents (--field to
choose); m3 remembers the schema in the data dir so query and stats reopen it unchanged.

Progress goes to stderr: a bar with rate and ETA on a terminal, plain lines otherwise.
Exit codes: 0 ok, 1 usage or input error, 2 some documents skipped, 3 backend error (run again to
resume), 130 interrupted (run again to resume).

Examples:
  m3 ingest examples/data/sample.jsonl --model fixtures/tiny-m3
  m3 ingest docs/ --store qdrant://localhost:6333/docs --max-tokens 256 --overlap 32
  cat items.csv | m3 ingest - --format csv --id-field sku --text-field description
  ES_API_KEY=... m3 ingest notes/ --store es+https://search.example.com:9200/notes

${ENVIRONMENT}`,

  query: `Usage: m3 query "TEXT" [options]

Encodes the text with the model and searches the collection.

Options:
  -m, --model DIR|ID      the model the collection was ingested with (default $M3_MODEL or BAAI/bge-m3)
      --mode M            dense, sparse, colbert, or hybrid (default: all stored signals fused)
      --fusion F          hybrid fusion: weighted (FlagEmbedding's compute_score, default), rrf, dbsf
      --weights W         weighted fusion weights (default dense=0.4,sparse=0.2,colbert=0.4);
                          given weights replace the defaults: a signal left out weighs 0
      --rrf-k K           RRF constant (default 60); only with --fusion rrf
  -k, --top-k N           hits to return (default 10)
      --candidates N      candidates per signal before fusion (default max(100, 4 x top-k), at most 10000)
  -f, --filter EXPR       metadata filter (below)
      --max-length N      token limit for the query text (default 512, FlagEmbedding's query
                          length; a longer query is truncated, with a note on stderr)
      --json              JSON: hits with per-signal scores, text, metadata, and "execution"
${STORE_FLAGS}
${COMMON_FLAGS}

Filter syntax (clauses joined by "and"):
  lang=en   lang!=en   lang in en,de   lang not in en,de   has:tags
  year>=2020   year>2020   year<=2024   year<2024
  Bare values that read as numbers are numbers, true/false are booleans; quote to force a string:
  code="007"   title="say \\"hi\\""   name='O\\'Brien'   (backslash escapes inside quotes)
  Tags (arrays) match when any element matches: tags=faq

Examples:
  m3 query "password reset" --model fixtures/tiny-m3
  m3 query "Passwort zurücksetzen" --mode sparse --filter 'lang=de' --top-k 5
  m3 query "refund policy" --fusion rrf --filter 'lang in en,es and has:tags' --json
  m3 query "vector search" --store milvus://localhost:19530/docs --mode colbert

${ENVIRONMENT}`,

  stats: `Usage: m3 stats [options]

Counts the points (chunks) of a collection; loads no model. (An adapter that must open a
collection before counting may create an empty one when the name is new.)

Options:
  -f, --filter EXPR       count only the points matching a filter (syntax: m3 query --help)
      --json              {"points": N, ...}
  -m, --model DIR|ID      for a server collection: the model it was ingested with (only its
                          dimension is read, from config.json)
${STORE_FLAGS}
${COMMON_FLAGS}

Examples:
  m3 stats
  m3 stats --json --store qdrant://localhost:6333/docs
  m3 stats --filter 'lang=en'

${ENVIRONMENT}`,

  drop: `Usage: m3 drop --yes [options]

Deletes the collection and every point in it from the store, and forgets what the data dir
holds for it (the schema ingest remembered, checkpoints of interrupted ingests), so the next
m3 ingest starts over. Loads no model. Without --yes it changes nothing and says what would be
dropped (exit 1). A collection that does not exist is not an error: "nothing to drop", exit 0.

Options:
  -y, --yes               really drop it
      --json              {"dropped": "NAME", "points": N, ...}; "dropped": null when there was none

Store:
${STORE_TARGET_FLAGS}
${CREDENTIAL_FLAGS}
${COMMON_FLAGS}

Examples:
  m3 drop --collection scratch          (says what would be dropped, changes nothing)
  m3 drop --collection scratch --yes
  m3 drop --store qdrant://localhost:6333/docs --yes --json

Environment: M3_STORE, M3_COLLECTION, M3_DATA_DIR, and the credentials above.`,

  embed: `Usage: m3 embed [FILE|-] [options]

Reads {"id","text"} JSON lines (a file, or stdin) and writes one JSON line per input line, in
order, with FlagEmbedding's names: {"id", "dense": [...], "lexical_weights": {"<token id>": w},
"colbert_vecs": [[...], ...]}. Lines without an id get their line number. Streams: memory stays
flat whatever the input size. Malformed lines are reported on stderr (file:line) and skipped (exit 2).

Options:
  -m, --model DIR|ID      model directory or Hugging Face id (default $M3_MODEL or BAAI/bge-m3)
      --max-length N      truncate texts to N tokens, <s> and </s> included (default: the model's
                          limit, 8192 for BGE-M3); each truncated line is noted on stderr
      --batch-tokens N    tokens per encoder call (default 16384)
      --no-dense          leave out "dense"
      --no-sparse         leave out "lexical_weights"
      --no-colbert        leave out "colbert_vecs"
      --threads N         encoder threads
${COMMON_FLAGS}

Examples:
  echo '{"id":"q1","text":"What is BGE-M3?"}' | m3 embed --model fixtures/tiny-m3
  m3 embed passages.jsonl --model BAAI/bge-m3 --no-colbert --max-length 512 > embeddings.jsonl`,

  tokenize: `Usage: m3 tokenize [FILE|-] [options]

Reads {"id","text"} JSON lines and writes {"id", "input_ids": [...]} lines: the ids the model
sees, <s> and </s> included (Hugging Face tokenizers' XLM-RoBERTa ids).

Options:
  -m, --model DIR|ID      model directory or Hugging Face id (default $M3_MODEL or BAAI/bge-m3)
      --max-length N      truncate to N tokens, special tokens included (default: the model's
                          limit, 8192 for BGE-M3); each truncated line is noted on stderr
${COMMON_FLAGS}

Examples:
  echo '{"id":"a","text":"สวัสดีครับ 你好"}' | m3 tokenize --model fixtures/tiny-m3
  m3 tokenize texts.jsonl --model fixtures/tiny-m3 --max-length 512`,
  serve: serveHelp(STORE_FLAGS, COMMON_FLAGS),
};
