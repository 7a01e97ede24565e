#!/usr/bin/env bash
# Installs what the Spark and Ray recipes need when absent: Java 17 (Debian), PySpark, Ray and
# PyYAML (PyPI). Used by tools/test.sh before tools/distributed/check.py.
set -euo pipefail
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
if ! command -v java >/dev/null 2>&1; then
  echo "installing openjdk-17-jre-headless" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null
fi
missing=()
python3 -c "import pyspark" 2>/dev/null || missing+=(pyspark)
python3 -c "import ray" 2>/dev/null || missing+=(ray)
python3 -c "import yaml" 2>/dev/null || missing+=(pyyaml)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  python3 -m pip install -q --break-system-packages "${missing[@]}" 2>/dev/null \
    || python3 -m pip install -q "${missing[@]}"
fi
