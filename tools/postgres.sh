#!/usr/bin/env bash
# Starts a local PostgreSQL server for the tests of `type: postgres` sources (Debian's
# `postgresql` package, installed when absent), creates a role with a password and a database,
# and prints the DSN on standard output. tools/test.sh exports it as RECEVAL_TEST_PG_DSN.
set -euo pipefail
# Only the DSN goes to standard output: everything the tools print goes to standard error.
exec 3>&1 1>&2
SUDO=""
AS_POSTGRES="runuser -u postgres --"
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
  AS_POSTGRES="sudo -u postgres"
fi
if ! command -v pg_lsclusters >/dev/null 2>&1; then
  echo "installing postgresql" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
cluster=$(pg_lsclusters -h | head -1)
if [ -z "$cluster" ]; then
  version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  $SUDO pg_createcluster "$version" main 3>&-
  cluster=$(pg_lsclusters -h | head -1)
fi
read -r version name port status _ <<< "$cluster"
if [ "$status" != "online" ]; then $SUDO pg_ctlcluster "$version" "$name" start 3>&-; fi
for _ in $(seq 1 30); do
  $AS_POSTGRES psql -p "$port" -qAtc "select 1" >/dev/null 2>&1 && break
  sleep 1
done
password="receval-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
$AS_POSTGRES psql -p "$port" -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
DROP DATABASE IF EXISTS receval_test;
DROP ROLE IF EXISTS receval_test;
CREATE ROLE receval_test LOGIN PASSWORD '$password';
CREATE DATABASE receval_test OWNER receval_test;
SQL
echo "postgres://receval_test:$password@localhost:$port/receval_test" >&3
