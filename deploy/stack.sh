#!/usr/bin/env bash
# TuneWave as it is deployed, on this machine: nginx with TLS in front of two Daphne processes,
# a Celery worker and Celery beat, with the Docker image's settings (DEBUG=0, TRUSTED_PROXY_COUNT=1,
# SERVE_MEDIA=0), on the local PostgreSQL, Redis and RabbitMQ.
#
#   deploy/stack.sh up        migrate, collectstatic, demo data, start everything; prints the base
#                             URL once /readyz answers 200 through nginx
#   deploy/stack.sh status    each process: running or not
#   deploy/stack.sh down      stops everything it started (pid files)
#   deploy/stack.sh start|stop|kill NAME   one process (nginx, web-1, web-2, worker, beat);
#                             `kill NAME` is SIGKILL to its whole process group (fault tests)
#
# One source for each part: nginx's config is generated from deploy/nginx.conf (only paths,
# ports and, for the test suite, one header naming the upstream are changed); each Daphne runs
# the Procfile's `web` command with PORT set to a port of nginx's upstream; the worker and
# beat run the Procfile's `worker` and `beat` commands.
#
# State (pid files, logs, certificate, static files, media, sent mail): $STACK_DIR (.stack/).
# Settings, all optional:
#   STACK_DIR            state directory (default: .stack in the checkout)
#   STACK_DATABASE_URL   default postgres://postgres@127.0.0.1:5432/tw_stack (created if missing)
#   STACK_REDIS_URL      default redis://127.0.0.1:6379/12
#   STACK_BROKER_URL     default amqp://guest:guest@127.0.0.1:5672/tw_stack (the vhost is
#                        created with rabbitmqctl when the broker is local), so the stack's
#                        worker never takes tasks queued by another TuneWave on the same broker
#   STACK_HTTP_PORT / STACK_HTTPS_PORT   default 8080 / 8443
#   STACK_RESET=1        up starts from an empty database, Redis db, media and mail directory
#   STACK_DEMO_DATA=0    up skips load_demo_data
#   STACK_DEV_LOGIN=1    sets TUNEWAVE_DEV_LOGIN=1 (the test suites sign in with it); a real
#                        deployment never does, and `manage.py check --deploy` warns (tunewave.W001)
# The processes log JSON lines (LOG_FORMAT=json) with nginx's request id, share one metrics
# directory ($STACK_DIR/metrics, emptied on every `up`) and answer /metrics for the random
# METRICS_TOKEN kept in $STACK_DIR/metrics_token (also in stack.env).
# E-mail goes to files in $STACK_DIR/mail (Django's file backend), so tests can read what the
# worker sent.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

STACK_DIR="$(mkdir -p "${STACK_DIR:-$ROOT/.stack}" && cd "${STACK_DIR:-$ROOT/.stack}" && pwd)"
HTTP_PORT="${STACK_HTTP_PORT:-8080}"
HTTPS_PORT="${STACK_HTTPS_PORT:-8443}"
DATABASE_URL_="${STACK_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/tw_stack}"
REDIS_URL_="${STACK_REDIS_URL:-redis://127.0.0.1:6379/12}"
BROKER_URL_="${STACK_BROKER_URL:-amqp://guest:guest@127.0.0.1:5672/tw_stack}"
BASE_URL="https://127.0.0.1:${HTTPS_PORT}"
PY="$ROOT/.venv/bin/python"
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

RUN="$STACK_DIR/run"
LOGS="$STACK_DIR/logs"
# Start order: nginx last, once each Daphne answers on its own port; a proxy started first would
# mark its upstreams failed and answer 502 for a while (fail_timeout) after they came up.
NAMES=(web-1 web-2 worker beat nginx)

say() { printf 'stack: %s\n' "$*"; }
die() {
    printf 'stack: %s\n' "$*" >&2
    exit 1
}

# --- the environment every process gets (docker-compose.yml's x-app, on local services) -----

# A random value kept in $STACK_DIR/NAME (made on first use, readable by this user only).
kept_secret() {
    local file="$STACK_DIR/$1"
    if [[ ! -s "$file" ]]; then
        (umask 077 && "$PY" -c "import secrets; print(secrets.token_urlsafe($2))" >"$file")
    fi
    cat "$file"
}

app_env() {
    export DEBUG=0 \
        SECRET_KEY="$(kept_secret secret_key 64)" \
        METRICS_TOKEN="$(kept_secret metrics_token 32)" \
        LOG_FORMAT=json \
        PROMETHEUS_MULTIPROC_DIR="$STACK_DIR/metrics" \
        ALLOWED_HOSTS="127.0.0.1,localhost" \
        FRONTEND_URL="$BASE_URL/app/" \
        TRUSTED_PROXY_COUNT=1 \
        SERVE_MEDIA=0 \
        DATABASE_URL="$DATABASE_URL_" \
        REDIS_URL="$REDIS_URL_" \
        CELERY_BROKER_URL="$BROKER_URL_" \
        EMAIL_URL="filemail:///$STACK_DIR/mail" \
        STATIC_ROOT="$STACK_DIR/staticfiles" \
        MEDIA_ROOT="$STACK_DIR/media" \
        PATH="$ROOT/.venv/bin:$PATH" \
        PYTHONUNBUFFERED=1
    # filemail:/// + an absolute path: django-environ drops the URL path's first slash.
    unset CELERY_RESULT_BACKEND PUBLIC_URL CSRF_TRUSTED_ORIGINS SENTRY_DSN
    if [[ "${STACK_DEV_LOGIN:-0}" == 1 ]]; then
        export TUNEWAVE_DEV_LOGIN=1
    else
        unset TUNEWAVE_DEV_LOGIN
    fi
}

# For the topology suite and for operators: the same environment, as KEY=VALUE lines.
write_env_file() {
    (
        umask 077
        {
            for key in DEBUG SECRET_KEY METRICS_TOKEN LOG_FORMAT PROMETHEUS_MULTIPROC_DIR ALLOWED_HOSTS FRONTEND_URL \
                TRUSTED_PROXY_COUNT SERVE_MEDIA DATABASE_URL REDIS_URL CELERY_BROKER_URL EMAIL_URL STATIC_ROOT MEDIA_ROOT; do
                printf '%s=%s\n' "$key" "${!key}"
            done
            [[ -n "${TUNEWAVE_DEV_LOGIN:-}" ]] && printf 'TUNEWAVE_DEV_LOGIN=1\n'
            printf 'STACK_URL=%s\nSTACK_HTTP_URL=http://127.0.0.1:%s\n' "$BASE_URL" "$HTTP_PORT"
        } >"$STACK_DIR/stack.env"
    )
}

procfile_command() {
    local line
    line="$(sed -n "s/^$1:[[:space:]]*//p" Procfile)"
    [[ -n "$line" ]] || die "Procfile has no '$1:' line"
    printf '%s' "$line"
}

# The Daphne ports are the ones deploy/nginx.conf's upstream names, in its order.
daphne_port() {
    local index="${1#web-}"
    sed -n '/upstream tunewave_daphne/,/}/s/^[[:space:]]*server 127\.0\.0\.1:\([0-9]*\).*/\1/p' deploy/nginx.conf |
        sed -n "${index}p"
}

# --- nginx: deploy/nginx.conf with this machine's paths and ports ---------------------------

nginx_config() {
    local dir="$STACK_DIR/nginx" conf
    mkdir -p "$dir" "$STACK_DIR/tls" "$LOGS"
    for kind in client_body proxy fastcgi uwsgi scgi; do mkdir -p "$dir/$kind"; done
    if [[ $EUID -eq 0 ]]; then
        # nginx's workers run as nobody (no `user` directive, as in the Docker setup): they
        # write request bodies here and must read static files and media, as in production.
        chown -R nobody "$dir"
    fi
    if [[ ! -s "$STACK_DIR/tls/fullchain.pem" ]]; then
        openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=127.0.0.1" \
            -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
            -keyout "$STACK_DIR/tls/privkey.pem" -out "$STACK_DIR/tls/fullchain.pem" >/dev/null 2>&1 ||
            die "openssl could not make a certificate"
    fi
    local temp_paths=""
    for kind in client_body proxy fastcgi uwsgi scgi; do temp_paths+="    ${kind}_temp_path $dir/$kind;\n"; done
    # The test-only header names the Daphne that answered (also on a socket's 101), so the
    # suite can hold one socket on each process; it is the one line deploy/nginx.conf lacks.
    conf="$(sed \
        -e "s#/srv/tunewave#$STACK_DIR#g" \
        -e "s#/etc/nginx/tls/#$STACK_DIR/tls/#g" \
        -e "s#/var/log/nginx/error.log#$LOGS/nginx.error.log#g" \
        -e "s#/var/log/nginx/#$LOGS/#g" \
        -e "/listen \[::\]:/d" \
        -e "s#^\([[:space:]]*\)listen 80;#\1listen 127.0.0.1:$HTTP_PORT;#" \
        -e "s#^\([[:space:]]*\)listen 443 ssl;#\1listen 127.0.0.1:$HTTPS_PORT ssl;#" \
        -e "s#https://\$host\$request_uri#https://\$host:$HTTPS_PORT\$request_uri#" \
        -e "s#^http {#http {\n$temp_paths#" \
        -e "s#^\([[:space:]]*\)client_max_body_size 6m;#&\n\1add_header X-Stack-Upstream \$upstream_addr always;#" \
        deploy/nginx.conf)"
    # deploy/nginx.conf changed shape if any of these survived: fix the substitutions above.
    for leftover in /srv/tunewave /etc/nginx/tls /var/log/nginx "listen 80;" "listen 443"; do
        if grep -qF "$leftover" <<<"$conf"; then die "nginx.conf: '$leftover' was not rewritten"; fi
    done
    grep -q "X-Stack-Upstream" <<<"$conf" || die "nginx.conf: no place for the X-Stack-Upstream header"
    printf '%s\n' "$conf" >"$dir/nginx.conf"
    "$NGINX" -t -q -p "$dir" -c "$dir/nginx.conf" -e "$LOGS/nginx.error.log" -g "pid $RUN/nginx.master.pid;" ||
        die "nginx -t failed on $dir/nginx.conf"
}

# --- processes ------------------------------------------------------------------------------

pid_of() {
    [[ -s "$RUN/$1.pid" ]] && cat "$RUN/$1.pid"
}

alive() {
    local pid
    pid="$(pid_of "$1")" || return 1
    kill -0 "$pid" 2>/dev/null
}

# Each process leads its own process group (setsid), so stopping it stops its children too
# (the worker's pool processes).
start_one() {
    local name="$1" cmd
    alive "$name" && {
        say "$name already running (pid $(pid_of "$name"))"
        return 0
    }
    mkdir -p "$RUN" "$LOGS"
    case "$name" in
        nginx)
            nginx_config
            setsid "$NGINX" -p "$STACK_DIR/nginx" -c "$STACK_DIR/nginx/nginx.conf" -e "$LOGS/nginx.error.log" \
                -g "daemon off; pid $RUN/nginx.master.pid;" >>"$LOGS/nginx.out.log" 2>&1 &
            ;;
        web-*)
            local port
            port="$(daphne_port "$name")"
            [[ -n "$port" ]] || die "deploy/nginx.conf's upstream has no server for $name"
            cmd="$(procfile_command web)"
            PORT="$port" setsid bash -c "exec $cmd" >>"$LOGS/$name.log" 2>&1 &
            ;;
        worker | beat)
            cmd="$(procfile_command "$name")"
            setsid bash -c "exec $cmd" >>"$LOGS/$name.log" 2>&1 &
            ;;
        *) die "no process named $name (one of: ${NAMES[*]})" ;;
    esac
    echo $! >"$RUN/$name.pid"
    say "started $name (pid $!, log $LOGS/$([[ $name == nginx ]] && echo "nginx.error.log" || echo "$name.log"))"
}

stop_one() {
    local name="$1" pid
    pid="$(pid_of "$name")" || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 150); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            say "$name did not stop within 15 s: SIGKILL"
        fi
    fi
    # Whatever of its group is left (a pool process that outlived its parent).
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$RUN/$name.pid"
    say "stopped $name"
}

kill_one() {
    local pid
    pid="$(pid_of "$1")" || die "$1 is not running"
    kill -KILL -- "-$pid"
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    rm -f "$RUN/$1.pid"
    say "killed $1 (SIGKILL to process group $pid)"
}

status() {
    local name pid
    for name in "${NAMES[@]}"; do
        if pid="$(pid_of "$name")"; then
            if kill -0 "$pid" 2>/dev/null; then
                printf '%-7s running (pid %s)\n' "$name" "$pid"
            else
                printf '%-7s dead (pid %s gone; log %s)\n' "$name" "$pid" "$LOGS/$name.log"
            fi
        else
            printf '%-7s stopped\n' "$name"
        fi
    done
}

# --- services and the release step ------------------------------------------------------------

# The broker's vhost, when the broker is this machine's RabbitMQ.
ensure_vhost() {
    local vhost="${BROKER_URL_##*/}"
    [[ -n "$vhost" && "$BROKER_URL_" == *@127.0.0.1:* ]] || return 0
    command -v rabbitmqctl >/dev/null || return 0
    if ! rabbitmqctl -q list_vhosts 2>/dev/null | grep -qx "$vhost"; then
        rabbitmqctl -q add_vhost "$vhost" >/dev/null
        rabbitmqctl -q set_permissions -p "$vhost" guest ".*" ".*" ".*" >/dev/null
        say "created RabbitMQ vhost $vhost"
    fi
}

# Drops (with "reset") and creates the database when missing, through the maintenance database.
ensure_database() {
    "$PY" - "$DATABASE_URL" "${STACK_RESET:-0}" <<'EOF'
import sys

import environ
import psycopg
from psycopg import sql

cfg = environ.Env.db_url_config(sys.argv[1])
args = {k: v for k, v in dict(host=cfg.get("HOST"), port=cfg.get("PORT") or None, user=cfg.get("USER"),
        password=cfg.get("PASSWORD")).items() if v}
with psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=10, **args) as conn:
    name = sql.Identifier(cfg["NAME"])
    if sys.argv[2] == "1":
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]).fetchone():
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
        print(f"stack: created database {cfg['NAME']}")
EOF
}

release() {
    say "release: migrate, collectstatic$([[ "${STACK_DEMO_DATA:-1}" == 1 ]] && echo ", demo data")"
    [[ -f static/app/index.html ]] || say "warning: static/app/ is not built (make spa): /app/ will not load"
    {
        "$PY" manage.py migrate --noinput &&
            "$PY" manage.py collectstatic --noinput --verbosity 0 &&
            if [[ "${STACK_DEMO_DATA:-1}" == 1 ]]; then "$PY" manage.py load_demo_data --verbosity 1; fi &&
            "$PY" manage.py check --deploy
    } >"$LOGS/release.log" 2>&1 || {
        tail -n 30 "$LOGS/release.log"
        die "release failed (log: $LOGS/release.log)"
    }
    # What `check --deploy` says about this stack (tunewave.W001 when STACK_DEV_LOGIN=1).
    grep -E '^\S+: \(' "$LOGS/release.log" | sed 's/^/stack: check --deploy: /' || true
}

# prometheus_client's multiprocess files (README "Metrics"), shared by both Daphne processes and
# the worker: emptied before they start, after the release step (whose processes leave files of
# their own); kept when one of them is still running, whose files are live.
fresh_metrics() {
    local name
    for name in web-1 web-2 worker beat; do
        if alive "$name"; then
            say "$name is running: kept $PROMETHEUS_MULTIPROC_DIR"
            return 0
        fi
    done
    rm -rf "$PROMETHEUS_MULTIPROC_DIR"
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
}

wait_daphnes() {
    local name port
    for name in web-1 web-2; do
        port="$(daphne_port "$name")"
        for _ in $(seq 120); do
            curl -fsS --max-time 2 "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
            alive "$name" || die "$name exited during start-up (log: $LOGS/$name.log)"
            sleep 0.5
        done
    done
}

wait_ready() {
    local cert="$STACK_DIR/tls/fullchain.pem"
    for _ in $(seq 180); do
        if curl -fsS --max-time 3 --cacert "$cert" "$BASE_URL/readyz" >/dev/null 2>&1; then
            return 0
        fi
        for name in "${NAMES[@]}"; do
            alive "$name" || {
                status
                tail -n 20 "$LOGS/$name.log" 2>/dev/null || true
                die "$name exited during start-up (log: $LOGS/$name.log)"
            }
        done
        sleep 0.5
    done
    curl -sS --max-time 3 --cacert "$cert" "$BASE_URL/readyz" || true
    die "$BASE_URL/readyz did not answer 200 within 90 s"
}

up() {
    command -v "$NGINX" >/dev/null || die "nginx is not installed (apt-get install nginx)"
    command -v openssl >/dev/null || die "openssl is not installed"
    app_env
    mkdir -p "$RUN" "$LOGS" "$STACK_DIR/mail" "$STACK_DIR/media"
    if [[ "${STACK_RESET:-0}" == 1 ]]; then
        for name in "${NAMES[@]}"; do alive "$name" && die "$name is running: deploy/stack.sh down first"; done
        rm -rf "$STACK_DIR/mail" "$STACK_DIR/media" "$LOGS"
        mkdir -p "$LOGS" "$STACK_DIR/mail" "$STACK_DIR/media"
    fi
    write_env_file
    ensure_vhost
    ensure_database
    if [[ "${STACK_RESET:-0}" == 1 ]]; then
        # Cached admissions, tickets and presence of the last run would outlive its database.
        "$PY" -c 'import sys, redis; redis.Redis.from_url(sys.argv[1]).flushdb()' "$REDIS_URL"
        say "emptied Redis $REDIS_URL"
    fi
    release
    fresh_metrics
    for name in web-1 web-2 worker beat; do start_one "$name"; done
    wait_daphnes
    start_one nginx
    wait_ready
    say "up: $BASE_URL/ (http://127.0.0.1:$HTTP_PORT/ redirects to it; logs in $LOGS)"
    echo "$BASE_URL"
}

down() {
    local index
    for ((index = ${#NAMES[@]} - 1; index >= 0; index--)); do stop_one "${NAMES[index]}"; done
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    start)
        app_env
        start_one "${2:?start NAME}"
        ;;
    stop) stop_one "${2:?stop NAME}" ;;
    kill) kill_one "${2:?kill NAME}" ;;
    *)
        sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 2
        ;;
esac
