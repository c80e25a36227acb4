#!/usr/bin/env bash
# CI check of the metronode Helm chart (deploy/helm/metronode): lint, schema rejections and rendered-manifest checks, without a helm binary or a cluster.
#
# Uses Helm's own Go code through helm-sdkpy (PyPI; it bundles Helm as a linux-amd64 shared
# library), installed once with cffi and PyYAML into a cache directory:
#   ${METRONODE_HELM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/metronode-helm}
# Needs Python >= 3.11 (tomllib) with pip, on Linux x86_64. The checks are in check_chart.py;
# test-values.yaml holds the realistic value set. Usage: deploy/helm/check.sh [--keep]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"

# helm-sdkpy declares Requires-Python >= 3.12 but works on 3.11; pinned versions keep CI stable.
helm_sdkpy_version="0.1.32"
requirements=("helm-sdkpy==${helm_sdkpy_version}" "cffi==2.0.0" "PyYAML==6.0.3")

if [[ "$(uname -s)/$(uname -m)" != "Linux/x86_64" ]]; then
    echo "check.sh: helm-sdkpy ships Helm for linux-amd64 only (this is $(uname -s)/$(uname -m))" >&2
    exit 2
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "check.sh: needs Python >= 3.11 (tomllib); set PYTHON=..." >&2
    exit 2
fi

pyver="$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
cache="${METRONODE_HELM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/metronode-helm}"
site="$cache/py${pyver}-helm-sdkpy-${helm_sdkpy_version}"

if [[ ! -f "$site/.complete" ]]; then
    echo "# installing ${requirements[*]} into $site"
    mkdir -p "$cache"
    rm -rf "$site.partial"
    PIP_ROOT_USER_ACTION=ignore "$python" -m pip install --quiet --disable-pip-version-check --no-input \
        --ignore-requires-python --target "$site.partial" "${requirements[@]}"
    touch "$site.partial/.complete"
    rm -rf "$site"
    mv "$site.partial" "$site"
fi

# Helm keeps the release in memory and its config, cache and data out of $HOME. These must be
# set before the Go library loads.
helm_home="$(mktemp -d "${TMPDIR:-/tmp}/metronode-helm-home.XXXXXX")"
trap 'rm -rf "$helm_home"' EXIT
export HELM_DRIVER=memory
export HELM_CONFIG_HOME="$helm_home/config" HELM_CACHE_HOME="$helm_home/cache" HELM_DATA_HOME="$helm_home/data"
unset KUBECONFIG HELM_KUBECONTEXT HELM_NAMESPACE

PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}" PYTHONDONTWRITEBYTECODE=1 \
    "$python" "$here/check_chart.py" "$@"
