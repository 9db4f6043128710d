#!/usr/bin/env bash
# Run the benchmarks from the repository root with the project's virtualenv.
#   bench/run.sh --smoke            CI: tiny sizes, SQLite (and PostgreSQL when
#                                   DUBAN_TEST_DATABASE_URL is set); under a minute
#   bench/run.sh                    the full figures of BENCHMARKS.md (several minutes)
#   bench/run.sh sweep --sizes 100000 --backends postgresql    one script, its own options
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=.venv/bin/python
[ -x "$PYTHON" ] || PYTHON=python3
exec "$PYTHON" -m bench "$@"
