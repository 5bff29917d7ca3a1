#!/usr/bin/env bash
# The browser suite against a real TuneWave it starts itself (`make e2e`):
#
#   1. builds the web app when static/app/ is missing or older than frontend/src;
#   2. creates a throwaway database: a SQLite file in a temp directory (embedded mode), or the
#      PostgreSQL database `tunewave_e2e`, dropped and recreated, when DATABASE_URL points at
#      PostgreSQL (services mode); migrates it and loads the demo data;
#   3. starts Daphne on a free port of 127.0.0.1 and, when CELERY_BROKER_URL is set, one Celery
#      worker; waits for /readyz;
#   4. runs Playwright (frontend/e2e/playwright.config.ts) with the arguments given here
#      (e.g. `--grep @smoke`), and always stops what it started.
#
# Env: E2E_BUILD=always|never|auto (default auto), E2E_TIMEOUT (seconds for the Playwright run,
# default 900), E2E_KEEP=1 keeps the temp directory (server log, SQLite file).
# Screenshots: frontend/e2e/screenshots/; Playwright's traces of failures: frontend/e2e/test-results/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT="$PWD"
PY="$ROOT/.venv/bin/python"
BIN="$ROOT/.venv/bin"
E2E_TIMEOUT="${E2E_TIMEOUT:-900}"
E2E_BUILD="${E2E_BUILD:-auto}"

say() { printf 'e2e: %s\n' "$*"; }

# Against a TuneWave already running (e.g. deploy/stack.sh's https://127.0.0.1:8443, with the demo
# data and TUNEWAVE_DEV_LOGIN=1): E2E_BASE_URL skips steps 1-3 and runs Playwright only;
# E2E_IGNORE_HTTPS_ERRORS=1 lets the browser accept a self-signed certificate (give Node the
# certificate too, for the suite's API calls: NODE_EXTRA_CA_CERTS=.stack/tls/fullchain.pem).
if [[ -n "${E2E_BASE_URL:-}" ]]; then
    say "against $E2E_BASE_URL (not started here)"
    cd frontend
    BASE_URL="$E2E_BASE_URL" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 exec timeout --kill-after=30 "$E2E_TIMEOUT" \
        npx --no-install playwright test -c e2e/playwright.config.ts "$@"
fi

# --- 1. the web app -----------------------------------------------------------------------
shell="$ROOT/static/app/index.html"
build=no
case "$E2E_BUILD" in
    always) build=yes ;;
    never) ;;
    *)
        if [[ ! -f "$shell" ]] || [[ -n "$(find frontend/src frontend/index.html frontend/vite.config.ts \
            frontend/package-lock.json -newer "$shell" -print -quit)" ]]; then
            build=yes
        fi
        ;;
esac
if [[ "$build" == yes ]]; then
    say "building the web app (npm --prefix frontend run build)"
    timeout 300 npm --prefix frontend run build >/dev/null
fi

# --- 2. a throwaway database --------------------------------------------------------------
WORK="$(mktemp -d /tmp/tunewave-e2e.XXXXXX)"
PIDS=()

cleanup() {
    local status=$?
    set +e
    for pid in "${PIDS[@]}"; do
        # Each process was started as the leader of its own process group (setsid): stop the
        # group (the Celery worker's pool children too), then make sure.
        kill -TERM -- "-$pid" 2>/dev/null
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL -- "-$pid" 2>/dev/null
    done
    if [[ -n "${E2E_PG_DB:-}" ]]; then
        timeout 30 "$PY" - "$DATABASE_URL" drop <<<"$PG_SCRIPT" >/dev/null 2>&1
    fi
    if [[ $status -ne 0 && -f "$WORK/server.log" ]]; then
        say "last lines of the server log ($WORK/server.log):"
        tail -n 40 "$WORK/server.log"
    fi
    if [[ -n "${E2E_KEEP:-}" || $status -ne 0 ]]; then
        say "kept $WORK"
    else
        rm -rf "$WORK"
    fi
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Drops (and with "create", recreates) the database DATABASE_URL names, through the server's
# maintenance database `postgres`.
PG_SCRIPT='
import sys
import environ
import psycopg
from psycopg import sql

cfg = environ.Env.db_url_config(sys.argv[1])
args = {k: v for k, v in dict(host=cfg.get("HOST"), port=cfg.get("PORT") or None, user=cfg.get("USER"),
        password=cfg.get("PASSWORD")).items() if v}
with psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=10, **args) as conn:
    name = sql.Identifier(cfg["NAME"])
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
    if sys.argv[2] == "create":
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
'

if [[ "${DATABASE_URL:-}" == postgres* ]]; then
    # Services mode: same server, database tunewave_e2e.
    DATABASE_URL="$("$PY" -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/tunewave_e2e")))' "$DATABASE_URL")"
    export DATABASE_URL
    E2E_PG_DB=tunewave_e2e
    say "services mode: PostgreSQL database tunewave_e2e (recreated)"
    timeout 60 "$PY" - "$DATABASE_URL" create <<<"$PG_SCRIPT"
else
    export DATABASE_URL="sqlite:///$WORK/db.sqlite3"
    say "embedded mode: SQLite $WORK/db.sqlite3"
fi

PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE_URL="http://127.0.0.1:$PORT"
export DEBUG=1 \
    FRONTEND_URL="$BASE_URL/app/" \
    ALLOWED_HOSTS="127.0.0.1" \
    MEDIA_ROOT="$WORK/media" \
    TRUSTED_PROXY_COUNT=1
# TRUSTED_PROXY_COUNT=1: the suite gives each browser its own X-Forwarded-For address, so
# the per-address limits on signing in (dev login: 10 a minute) count per simulated visitor,
# as they would for real visitors; every other limit (per user, chat's 5 in 5 s) is as shipped.

say "migrating and loading the demo data"
if ! { timeout 300 "$PY" manage.py migrate --noinput --verbosity 0 &&
    timeout 300 "$PY" manage.py load_demo_data --verbosity 1; } >"$WORK/setup.log" 2>&1; then
    tail -n 40 "$WORK/setup.log"
    exit 1
fi
grep -a 'Demo data' "$WORK/setup.log" || true

# --- 3. the server (and a worker in services mode) ---------------------------------------
# Spotify's accounts service and Web API are a local stub (spotify_stub.py): the server refreshes
# listeners' player tokens there, and the browser's fake Web Playback SDK (fakeSpotify.ts) is
# told to play through it. Nothing reaches the real Spotify.
STUB_PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
say "starting the Spotify stub on 127.0.0.1:$STUB_PORT (log: $WORK/spotify-stub.log)"
setsid "$PY" frontend/e2e/spotify_stub.py "$STUB_PORT" >"$WORK/spotify-stub.log" 2>&1 &
PIDS+=($!)
export SPOTIFY_CLIENT_ID=e2e-client SPOTIFY_CLIENT_SECRET=e2e-secret \
    SPOTIFY_ACCOUNTS_URL="http://127.0.0.1:$STUB_PORT" SPOTIFY_API_URL="http://127.0.0.1:$STUB_PORT"

say "starting Daphne on $BASE_URL (log: $WORK/server.log)"
setsid "$BIN/python" -m tunewave.serve -b 127.0.0.1 -p "$PORT" tunewave.asgi:application >"$WORK/server.log" 2>&1 &
PIDS+=($!)
if [[ -n "${CELERY_BROKER_URL:-}" ]]; then
    say "starting a Celery worker (log: $WORK/worker.log)"
    setsid "$BIN/celery" -A tunewave worker -l warning --concurrency 1 >"$WORK/worker.log" 2>&1 &
    PIDS+=($!)
fi

ready=no
for _ in $(seq 120); do
    if curl -fsS --max-time 2 "$BASE_URL/readyz" >/dev/null 2>&1; then ready=yes; break; fi
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || { say "a server process exited"; exit 1; }; done
    sleep 0.5
done
[[ "$ready" == yes ]] || { say "$BASE_URL/readyz did not answer within 60 s"; exit 1; }
say "server ready"

# --- 4. the suite -------------------------------------------------------------------------
cd frontend
started=$SECONDS
set +e
BASE_URL="$BASE_URL" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout --kill-after=30 "$E2E_TIMEOUT" \
    npx --no-install playwright test -c e2e/playwright.config.ts "$@"
status=$?
set -e
say "playwright finished in $((SECONDS - started)) s with status $status"
exit $status
