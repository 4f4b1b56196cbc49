#!/usr/bin/env bash
# A second Elasticsearch, the current major (9.x), beside the 8.x node of elasticsearch.sh:
# its own port, heap and env file, so both run at once and each stops only itself.
#
#   bash .ci/services/elasticsearch-9.sh start   # writes ES9_URL=... to .ci/work/elasticsearch-9.env
#   bash .ci/services/elasticsearch-9.sh stop
#
# Environment: ES9_URL (a 9.x server of your own: nothing is started), M3KIT_ES9_VERSION (default
# 9.0.8, the newest 9.x integ-test-zip on Maven Central when this was written), M3KIT_ES9_PORT
# (default 9201), M3KIT_ES9_HEAP (default 512m). 9.x needs Java 21+ (the Temurin 25 JDK here).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export M3KIT_ES_VERSION="${M3KIT_ES9_VERSION:-9.0.8}"
export M3KIT_ES_PORT="${M3KIT_ES9_PORT:-9201}"
export M3KIT_ES_HEAP="${M3KIT_ES9_HEAP:-512m}"
export M3KIT_ES_ENV_KEY=ES9_URL
export M3KIT_ES_ENV_FILE="$ROOT/.ci/work/elasticsearch-9.env"
exec bash "$ROOT/.ci/services/elasticsearch.sh" "$@"
