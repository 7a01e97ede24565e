#!/usr/bin/env bash
# Installs what is needed, builds with the module-boundary check on, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
swift build --build-tests --explicit-target-dependency-import-check error
swift test --skip-build --parallel
