#!/usr/bin/env bash
# Installs grpcio and grpcio-tools (PyPI) into a cache directory once, generates the Python
# code for proto/ under it, and prints that directory: the first argument of
# federation_client.py. .ci/run exports it as METRONODE_GRPCIO for the interoperability test.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
proto="$here/../../proto"
python="${PYTHON:-python3}"
version="1.76.0"
site="$(bash "$here/../pip_cache.sh" "grpcio-${version}" "grpcio==${version}" "grpcio-tools==${version}")"
# The generated code, always from the proto files of this checkout.
generated="$site/generated"
rm -rf "$generated"
mkdir -p "$generated"
PYTHONPATH="$site" "$python" -m grpc_tools.protoc -I "$proto" --python_out="$generated" \
    --grpc_python_out="$generated" "$proto"/metronode/v1/*.proto >&2
touch "$generated/metronode/__init__.py" "$generated/metronode/v1/__init__.py"
echo "$site"
