#!/usr/bin/env bash
# Installs DuckDB's and polars' Python packages (from PyPI) into a cache directory, once, and
# prints that directory: put it on PYTHONPATH. .ci/run exports it as METRONODE_DUCKDB for the
# test that checks every cell ingest computes against DuckDB's and polars'
# (tests/it/same_cells.rs); the benchmark uses it too when set.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$here/../pip_cache.sh" duckdb-2.0.1-polars-2.1.0 "duckdb==2.0.1" "polars==2.1.0"
