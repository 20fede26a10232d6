#!/usr/bin/env bash
# Installs (Debian package) and starts a local PostgreSQL server for the tests, with a
# password for the `postgres` role on 127.0.0.1. Prints the URL the tests take from
# BREACHCHECK_TEST_PG. Idempotent: safe to run on a machine that already has it.
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
if ! pg_lsclusters -h | grep -q "^$version main"; then
  pg_createcluster "$version" main >&2
fi
pg_ctlcluster "$version" main start >&2 2>/dev/null || true
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 && break
  sleep 1
done
pg_isready -h 127.0.0.1 >&2
su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'breachcheck-test'\"" >&2
echo "postgres://postgres:breachcheck-test@127.0.0.1:5432/postgres"
