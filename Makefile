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

.PHONY: run test install install-app lint format serve

# `make run`: each step says what it does, in Chinese; pip's own lines are left out (-q) but it
# is announced first, and the server's address and the demo accounts are printed before
# runserver's English banner. Its "development server" warning is hidden: `make serve` is the
# production way. No autoreloader: a second process importing everything again for a demo. The import worker (manage.py db_worker) runs beside the server and stops with it.
# Bound to every interface (HOST=0.0.0.0:8080), the demo answers any host name colleagues use to
# reach it, unless ALLOWED_HOSTS is set.
PORT = $(lastword $(subst :, ,$(HOST)))
EVERYWHERE = $(filter 0.0.0.0:%,$(HOST))
ADDRESS = $(if $(EVERYWHERE),127.0.0.1:$(PORT),$(HOST))
run: install-app
	@echo "正在建立数据库（迁移，首次约15秒）…"
	@$(PY) manage.py migrate --noinput -v0
	@echo "正在载入演示数据（首次约1分钟，以后跳过）…"
	@$(PY) manage.py load_demo
	@echo ""
	@echo "请用浏览器打开 http://$(ADDRESS)/ 登录$(if $(EVERYWHERE),（同一网络的其他电脑用本机的 IP 地址和端口 $(PORT)）)，按 Ctrl+C 停止"
	@$(PY) manage.py db_worker --no-reload -v0 & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(if $(EVERYWHERE),ALLOWED_HOSTS="$${ALLOWED_HOSTS:-*}") DJANGO_RUNSERVER_HIDE_WARNING=true \
		$(PY) manage.py runserver --skip-checks --noreload $(HOST)

test: install
	$(VENV)/bin/pytest

# `make run` and `make serve` need the application's packages only (install-app); `make install`
# adds the test and lint tools (pytest, Playwright, ruff) for `make test`, `make lint` and CI.
install: $(VENV)/.installed
install-app: $(VENV)/.installed-app

$(VENV)/.installed-app: pyproject.toml
	@echo "正在安装依赖（首次约1分钟）…"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q -e .
	@touch $@

$(VENV)/.installed: $(VENV)/.installed-app
	@echo "正在安装测试工具（pytest、Playwright、ruff）…"
	@$(PY) -m pip install -q -e ".[dev]"
	@touch $@

# A search of a few hundred Chinese characters is 9 bytes a character in the request line: gunicorn's
# default 4094 bytes would answer its English "414 Request-URI Too Long"; 8190 is its maximum.
# Production-style serving: gunicorn and the import worker, DEBUG=0, static files by WhiteNoise,
# settings from the environment, or from $(ENV_FILE) when there is one (the environment wins).
serve: install-app
	@test -f $(ENV_FILE) || test -n "$$SECRET_KEY" || { echo "没有 $(ENV_FILE)，环境变量中也没有 SECRET_KEY：请设置环境变量，或 cp .env.example .env 并填写（见 README 的“部署”）"; exit 1; }
	ENV_FILE=$(ENV_FILE) DEBUG=0 $(PY) manage.py migrate --noinput
	ENV_FILE=$(ENV_FILE) DEBUG=0 $(PY) manage.py collectstatic --noinput -v0
	ENV_FILE=$(ENV_FILE) DEBUG=0 $(PY) manage.py db_worker --no-reload & worker=$$!; \
		trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		ENV_FILE=$(ENV_FILE) DEBUG=0 $(VENV)/bin/gunicorn fazhi.wsgi:application --bind $(HOST) \
		--workers $(WORKERS) --threads $(THREADS) --timeout 120 --keep-alive $(KEEPALIVE) \
		--limit-request-line 8190 --access-logfile - --error-logfile -

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
