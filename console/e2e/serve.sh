#!/usr/bin/env bash
# The service the browser tests drive: migrations, the demo merchant, gunicorn on a loopback port,
# serving the console from console/dist. A fresh SQLite file unless E2E_DATABASE_URL names a
# (throwaway) database.
set -euo pipefail
port=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/_venv.sh"
export PITSTOP_ENV=development
export CONSOLE_DIST="$here/../dist"
if [ -n "${E2E_DATABASE_URL:-}" ]; then
  export DATABASE_URL=$E2E_DATABASE_URL
else
  dbdir=$(mktemp -d)
  export DATABASE_URL="sqlite:///$dbdir/e2e.db"
fi
# Tests that run a CLI command against this service's database (e.g. `flask jobs run`) read its URL here.
mkdir -p "$here/../test-results"
printf '%s\n' "$DATABASE_URL" >"$here/../test-results/e2e-database-url"
# The dashboard benchmark (console/bench.config.ts) serves a seeded benchmark database as it is.
if [ -z "${E2E_SKIP_SETUP:-}" ]; then
  flask db upgrade >/dev/null
  flask seed-demo >/dev/null
fi
# Keep-alive longer than the test client's idle gaps: with gunicorn's 2 s default, a request sent on a
# connection the server is closing at that moment fails with ECONNRESET.
exec gunicorn --bind "127.0.0.1:$port" --workers 2 --threads 4 --keep-alive 75 --timeout 120 --access-logfile /dev/null wsgi:app
