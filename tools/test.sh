#!/usr/bin/env bash
# Installs what is needed, checks formatting (.swift-format; fix with `swift format format -i -r
# Sources Tests`), builds with the module-boundary check on, runs every test, then checks the
# Spark and Ray recipes (local mode) against one box, and the Parquet export against pyarrow and
# DuckDB.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
swift format lint --strict -r Sources Tests Package.swift
swift build --build-tests --explicit-target-dependency-import-check error
# `type: postgres` sources are tested against a real server (tools/postgres.sh starts one; if it
# cannot, the script stops here rather than running those tests without a server).
pg_dsn=$(bash tools/postgres.sh)
case "$pg_dsn" in
  postgres://*) ;;
  *) echo "tools/postgres.sh printed no DSN: $pg_dsn" >&2; exit 1 ;;
esac
# The tests write their datasets, logs and states under one temporary folder of this run
# (TMPDIR), removed at the end, so repeated runs do not fill /tmp (the Python checks clean up
# after themselves).
scratch=$(mktemp -d "${TMPDIR:-/tmp}/receval-test-run.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
RECEVAL_TEST_PG_DSN=$pg_dsn TMPDIR=$scratch swift test --skip-build --parallel
bash tools/distributed/deps.sh
RECEVAL=.build/debug/receval python3 tools/distributed/check.py
bash tools/interop/deps.sh
RECEVAL=.build/debug/receval python3 tools/interop/check_parquet.py
