#!/usr/bin/env bash
# Installs the C libraries receval links (Debian: libzstd-dev, liblz4-dev, zlib1g-dev, libpq-dev,
# libsnappy-dev) when absent.
set -euo pipefail
missing=()
for p in libzstd-dev liblz4-dev zlib1g-dev libpq-dev libsnappy-dev pkg-config; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
