#!/usr/bin/env bash
# Load test: `make serve` on PostgreSQL with the benchmark data, 50 users for 60 s, loopback only.
# Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/fazhi_load bash loadtest/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?point DATABASE_URL at a PostgreSQL database}"
PORT=${PORT:-8010}
USERS=${USERS:-50}
RUN_TIME=${RUN_TIME:-60s}

make install >/dev/null
.venv/bin/python -m pip install -q -e ".[load]"
mkdir -p var/loadtest
password="Load-$(date +%s)-Test"
env_file=var/loadtest/serve.env
cat > "$env_file" <<ENV
DEBUG=0
HTTPS=0
SECRET_KEY=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')
ALLOWED_HOSTS=127.0.0.1,localhost
DATABASE_URL=$DATABASE_URL
AXES_FAILURE_LIMIT=1000
ENV
DEBUG=0 ENV_FILE=$env_file .venv/bin/python manage.py migrate --noinput -v0
report_id=$(DEBUG=0 ENV_FILE=$env_file .venv/bin/python manage.py prepare_loadtest --password "$password" | sed -n 's/^REPORT_ID=//p')

# Its own session, so that stopping it stops exactly its processes (make, gunicorn and workers)
# and nothing else on a shared machine.
setsid make serve ENV_FILE=$env_file HOST=127.0.0.1:$PORT ${WORKERS:+WORKERS=$WORKERS} ${THREADS:+THREADS=$THREADS} > var/loadtest/serve.log 2>&1 &
server=$!
trap 'kill -TERM -- -$server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 1; done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "server did not start"; tail -20 var/loadtest/serve.log; exit 1; }

LOADTEST_USERS=$USERS LOADTEST_PASSWORD=$password LOADTEST_REPORT_ID=$report_id .venv/bin/locust -f loadtest/locustfile.py --headless \
  --host "http://127.0.0.1:$PORT" -u "$USERS" -r 10 --run-time "$RUN_TIME" --stop-timeout 5 \
  --csv var/loadtest/result --only-summary 2>&1 | grep -E "^登录（|Traceback|Error" || true
echo
.venv/bin/python loadtest/summary.py var/loadtest/result_stats.csv
