#!/usr/bin/env bash
# Installs pysdmx (the Bank for International Settlements' SDMX library, from PyPI) with its
# data extra into a cache directory, once, and prints that directory: put it on PYTHONPATH to
# run check_sdmx.py. .ci/run exports it as METRONODE_PYSDMX for the SDMX-CSV test.
#   ${METRONODE_PYSDMX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/metronode-pysdmx}
set -euo pipefail

python="${PYTHON:-python3}"
version="1.21.0"
pyver="$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
cache="${METRONODE_PYSDMX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/metronode-pysdmx}"
site="$cache/py${pyver}-pysdmx-${version}"

if [[ ! -f "$site/.complete" ]]; then
    echo "# installing pysdmx[data]==${version} into $site" >&2
    mkdir -p "$cache"
    rm -rf "$site.partial"
    PIP_ROOT_USER_ACTION=ignore "$python" -m pip install --quiet --disable-pip-version-check \
        --no-input --only-binary=:all: --target "$site.partial" "pysdmx[data]==${version}" >&2
    touch "$site.partial/.complete"
    rm -rf "$site"
    mv "$site.partial" "$site"
fi
echo "$site"
