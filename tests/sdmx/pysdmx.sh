#!/usr/bin/env bash
# Installs pysdmx (the Bank for International Settlements' SDMX library, from PyPI) with its
# data extra into a cache directory, once, and prints that directory: put it on PYTHONPATH to
# run check_sdmx.py. .ci/run exports it as METRONODE_PYSDMX for the SDMX-CSV tests.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$here/../pip_cache.sh" pysdmx-1.21.0 "pysdmx[data]==1.21.0"
