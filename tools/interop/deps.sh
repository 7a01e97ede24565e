#!/usr/bin/env bash
# Installs the reference readers tools/interop/check_parquet.py compares against (pyarrow and
# DuckDB, from PyPI) when absent.
set -euo pipefail
missing=()
python3 -c "import pyarrow" 2>/dev/null || missing+=(pyarrow)
python3 -c "import duckdb" 2>/dev/null || missing+=(duckdb)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  python3 -m pip install -q --break-system-packages "${missing[@]}" 2>/dev/null || python3 -m pip install -q "${missing[@]}"
fi
