#!/usr/bin/env bash
# Installs Python packages from PyPI (binary wheels only) into a cache directory named NAME,
# once, and prints that directory (put it on PYTHONPATH). Used by the test tools that read the
# node's output with libraries metronode did not write (tests/sdmx, tests/grpcio).
#   ${METRONODE_PIP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/metronode-pip}/py<version>-NAME
# Usage: tests/pip_cache.sh NAME REQUIREMENT...
set -euo pipefail

name="$1"
shift
python="${PYTHON:-python3}"
pyver="$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
cache="${METRONODE_PIP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/metronode-pip}"
site="$cache/py${pyver}-${name}"

if [[ ! -f "$site/.complete" ]]; then
    echo "# installing $* into $site" >&2
    mkdir -p "$cache"
    rm -rf "$site.partial"
    PIP_ROOT_USER_ACTION=ignore "$python" -m pip install --quiet --disable-pip-version-check \
        --no-input --only-binary=:all: --target "$site.partial" "$@" >&2
    touch "$site.partial/.complete"
    rm -rf "$site"
    mv "$site.partial" "$site"
fi
echo "$site"
