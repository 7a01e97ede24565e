#!/usr/bin/env bash
# Installs what is needed, checks formatting (.swift-format; fix with `swift format format -i -r
# Sources Tests`), builds with the module-boundary check on, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
swift format lint --strict -r Sources Tests Package.swift
swift build --build-tests --explicit-target-dependency-import-check error
swift test --skip-build --parallel
