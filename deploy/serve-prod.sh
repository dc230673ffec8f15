#!/usr/bin/env bash
# Production on one machine (README "Production"): migrations, then two or more app
# instances (gunicorn, one per port in LMS_PORTS), a Celery worker and Celery beat,
# all against PostgreSQL and Redis on loopback; nginx (deploy/nginx.conf) in front.
#
# Settings come from the environment or from an env file outside the repository
# (LMS_ENV_FILE, default /etc/unioncadre/lms.env; KEY=value lines): LMS_DATABASE_URL,
# LMS_REDIS_URL, LMS_SECRET_KEY and LMS_ID_ENCRYPTION_KEY are required. Optional:
# LMS_PORTS ["8001 8002"], GUNICORN_WORKERS / GUNICORN_THREADS (deploy/gunicorn.conf.py),
# CELERY_CONCURRENCY [2], LMS_INSTANCE_PATH [./instance], LMS_VENV [./.venv].
#
# Runs in the foreground: the first process to exit stops the others and the script
# exits with its status, so a supervisor (systemd, Restart=always) restarts the whole.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

ENV_FILE=${LMS_ENV_FILE:-/etc/unioncadre/lms.env}
if [[ -f $ENV_FILE ]]; then
    case "$(realpath "$ENV_FILE")/" in
        "$ROOT"/*) echo "serve-prod: $ENV_FILE is inside the repository; keep secrets out of git" >&2
                   exit 2 ;;
    esac
    set -a
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    set +a
fi

export LMS_ENV=production
for name in LMS_DATABASE_URL LMS_REDIS_URL LMS_SECRET_KEY LMS_ID_ENCRYPTION_KEY; do
    if [[ -z ${!name:-} ]]; then
        echo "serve-prod: $name must be set (in $ENV_FILE or the environment)" >&2
        exit 2
    fi
done
export LMS_INSTANCE_PATH=${LMS_INSTANCE_PATH:-$ROOT/instance}
# nginx is the one proxy in front: trust its X-Forwarded-For / -Proto, no one else's
export LMS_PROXY_FIX=${LMS_PROXY_FIX:-1}
BIN=${LMS_VENV:-$ROOT/.venv}/bin
PORTS=${LMS_PORTS:-"8001 8002"}
mkdir -p "$LMS_INSTANCE_PATH"

# Migrations once, before any process serves: never two migrating at once.
"$BIN/flask" --app app db upgrade
"$BIN/flask" --app app lms init-keys

pids=()
stop() {
    trap - EXIT INT TERM
    if ((${#pids[@]})); then
        kill -TERM "${pids[@]}" 2>/dev/null || true
        wait "${pids[@]}" 2>/dev/null || true
    fi
}
trap stop EXIT
trap 'exit 143' INT TERM

for port in $PORTS; do
    GUNICORN_BIND=127.0.0.1:$port "$BIN/gunicorn" -c deploy/gunicorn.conf.py app:app &
    pids+=($!)
done
"$BIN/celery" -A lms.worker worker --loglevel INFO --concurrency "${CELERY_CONCURRENCY:-2}" &
pids+=($!)
# exactly one beat for the whole deployment, whatever the number of machines
"$BIN/celery" -A lms.worker beat --loglevel INFO \
    --schedule "$LMS_INSTANCE_PATH/celerybeat-schedule" &
pids+=($!)
echo "serve-prod: app on 127.0.0.1 ports $PORTS, Celery worker and beat (pids ${pids[*]})"

status=0
wait -n "${pids[@]}" || status=$?
echo "serve-prod: a process exited (status $status); stopping the others" >&2
exit "$status"
