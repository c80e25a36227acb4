#!/usr/bin/env bash
# Installs axe-selenium-python (PyPI; it carries axe-core, Deque's accessibility engine) and
# Selenium into a cache directory once, and prints that directory: the first argument of
# axe_check.py. .ci/run exports it as METRONODE_AXE for the dashboard's accessibility test,
# which drives Debian's chromium through its chromium-driver.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/../pip_cache.sh" "axe-2.1.6" "axe-selenium-python==2.1.6" "selenium>=4.20,<5"
