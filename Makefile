# The two commands of the README: `make run` (demo on SQLite) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1:8000
# The pages are CPU-bound Python: one single-threaded worker per core plus one, so that requests
# queue at the socket for the first free worker instead of sharing a core and a GIL (load test on
# 2 cores: dashboard p95 150–210 ms with 3×1, 250–470 ms with 4×2).
WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
THREADS ?= 1
# A connection kept open stays with the worker that took it: a long keep-alive pins each client to
# one worker and leaves the others idle while it queues (seen in the load test: 63%/28%/21%/5% of
# the CPU); a short one races the client's next request (connection reset). So none: behind a
# reverse proxy, the proxy's own connections to gunicorn are short anyway.
KEEPALIVE ?= 0
ENV_FILE ?= .env

.PHONY: run test install lint format serve

# The import worker (manage.py db_worker) runs beside the server and stops with it.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py db_worker --no-reload -v0 & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(PY) manage.py runserver $(HOST)

test: install
	$(VENV)/bin/pytest

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

# Production-style serving: gunicorn and the import worker, DEBUG=0, static files by WhiteNoise,
# settings from the environment, or from $(ENV_FILE) when there is one (the environment wins).
serve: install
	@test -f $(ENV_FILE) || test -n "$$SECRET_KEY" || { echo "没有 $(ENV_FILE)，环境变量中也没有 SECRET_KEY：请设置环境变量，或 cp .env.example .env 并填写（见 README 的“部署”）"; exit 1; }
	ENV_FILE=$(ENV_FILE) DEBUG=0 $(PY) manage.py migrate --noinput
	ENV_FILE=$(ENV_FILE) DEBUG=0 $(PY) manage.py collectstatic --noinput -v0
	ENV_FILE=$(ENV_FILE) DEBUG=0 $(PY) manage.py db_worker --no-reload & worker=$$!; \
		trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		ENV_FILE=$(ENV_FILE) DEBUG=0 $(VENV)/bin/gunicorn brigade.wsgi:application --bind $(HOST) \
		--workers $(WORKERS) --threads $(THREADS) --timeout 120 --keep-alive $(KEEPALIVE) --access-logfile - --error-logfile -

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
