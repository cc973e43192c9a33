#!/usr/bin/env bash
# Wall time of the default test suite (what `make test` runs after ruff and mypy).
#   bash bench/test_suite_time.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PWD/node_modules/.bin:$PATH"
for mode in "serial:" "parallel (make test):-n auto --dist worksteal"; do
  label=${mode%%:*}; flags=${mode#*:}
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  pytest -q -p no:cacheprovider $flags >/tmp/fargate-constructs-suite.log 2>&1
  end=$(date +%s.%N)
  echo "test suite, $label: $(python -c "print(f'{$end - $start:.1f}')") s on $(nproc) cores; $(tail -1 /tmp/fargate-constructs-suite.log)"
done
