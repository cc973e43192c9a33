#!/usr/bin/env bash
# Wall time of the default test suite (what `make test` runs after ruff and mypy).
#   bash bench/test_suite_time.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PWD/node_modules/.bin:$PATH"
start=$(date +%s.%N)
pytest -q -p no:cacheprovider >/tmp/fargate-constructs-suite.log 2>&1
end=$(date +%s.%N)
tail -1 /tmp/fargate-constructs-suite.log
echo "test suite wall time: $(echo "$end - $start" | bc) s on $(nproc) cores"
