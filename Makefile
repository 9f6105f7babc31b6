# Keel: `make help` lists every target.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PY := $(UV) run --frozen
# `pip install --user uv` puts uv here; tests look it up on PATH.
export PATH := $(HOME)/.local/bin:$(PATH)
PYTEST_WORKERS ?= 2
SERVICES := auth core notification search
LINT_PATHS := libs services apps bench scripts tests deploy docker
TYPED_PATHS := libs/common/src $(foreach s,$(SERVICES),services/$(s)/src) apps/console/src

-include deploy/deploy.mk

.PHONY: help install test-tools test-ship run test test-fast lint fmt typecheck protos protos-check events schedules bench migrate admin clean gateway-conf

help: ## list every target with its description
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sort -u | awk -F':.*## ' '{printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}'

install: ## install the locked dependencies of every package into .venv (uv)
	@# Debian's python marks itself externally managed; uv goes to ~/.local/bin either way.
	@command -v uv >/dev/null 2>&1 || [ -x $(HOME)/.local/bin/uv ] \
		|| python3 -m pip install --quiet --user --break-system-packages uv \
		|| python3 -m pip install --quiet --user uv
	@# Bytecode is compiled here, once: with PYTHONDONTWRITEBYTECODE set (as on the CI machines)
	@# every process would otherwise compile each module it imports from source, every time
	@# (4 s of CPU to import one service's app instead of 1.5). Only changed files are redone.
	@$(UV) sync --all-packages --frozen --quiet --compile-bytecode
	@$(UV) run --frozen python -m compileall -q libs/common/src services/*/src apps/*/src >/dev/null

run: install gateway-conf migrate ## start the whole platform on embedded defaults; API on http://127.0.0.1:8080
	@mkdir -p var/outbox
	@echo "Keel is starting: public API on http://127.0.0.1:8080 (Ctrl-C stops everything)"
	@# supervisord restarts a process that dies and logs it; Ctrl-C stops them all and exits 0.
	@$(PY) python scripts/run_local.py

gateway-conf: ## render the local nginx gateway config into var/gateway/
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || scripts/install-nginx.sh
	@mkdir -p var/gateway
	@python3 docker/gateway/render.py --listen 127.0.0.1:8080 --auth 127.0.0.1:8001 --core 127.0.0.1:8002 \
		--notification 127.0.0.1:8003 --search 127.0.0.1:8004 --console 127.0.0.1:8005 \
		--prefix $(CURDIR)/var/gateway \
		> var/gateway/nginx.conf

migrate: install ## bring every service's local database (var/<svc>.db) to the newest migration
	@mkdir -p var
	@set -a; source .env.dev; set +a; for s in $(SERVICES); do \
		echo "migrating var/$$s.db"; \
		LOG_LEVEL=WARNING DATABASE_URL=sqlite:///var/$$s.db $(PY) keel-$$s migrate || exit 1; done

ADMIN_DATABASE_URL ?= sqlite:///var/auth.db
admin: install ## create the first admin locally: make admin EMAIL=you@example.com (asks for the password; piped stdin works too)
	@test -n "$(EMAIL)" || { echo "usage: make admin EMAIL=you@example.com"; exit 2; }
	@# A terminal gets a hidden prompt; a pipe (a script, CI) gives the password on stdin.
	@set -a; source .env.dev; set +a; [ -t 0 ] || stdin=--password-stdin; \
		DATABASE_URL="$(ADMIN_DATABASE_URL)" $(PY) keel-auth create-admin --email "$(EMAIL)" $$stdin

test-tools: install checkov-venv ## install what the tests need beyond .venv (nginx, promtool, podman, chromium, Bugsink, the Compose schema)
	@scripts/install-test-tools.sh
	@scripts/install-ship-tools.sh

test: install test-tools lint ## run every test: lint, types, proto checks, unit, integration (PostgreSQL, RabbitMQ, Redis), e2e (nginx, chromium), images
	$(PY) python scripts/protos.py check
	$(PY) python scripts/events.py check
	$(PY) python scripts/schedules.py check
	$(PY) pytest -n $(PYTEST_WORKERS) -m "not serial and not e2e and not ship" -p no:cacheprovider
	@# --timeout: a hang guard, not a speed check; starting a whole platform on a busy 2-core
	@# machine has taken more than the default 300 s. Two workers, whole files each: most of
	@# an e2e test is waiting on processes, and each worker starts its own platform.
	$(PY) pytest -n $(PYTEST_WORKERS) --dist loadfile -m "e2e and not serial" -p no:cacheprovider --timeout 900
	$(PY) pytest -m serial -p no:cacheprovider
	$(MAKE) --no-print-directory test-ship

test-ship: install ## the shipping pass: build and run the images (podman), Sentry events into Bugsink, compose.yaml
	@scripts/container-bases.sh
	$(PY) pytest -m ship -p no:cacheprovider --timeout 1800 tests/ship

test-fast: install ## unit tests only (no servers needed)
	$(PY) pytest -n $(PYTEST_WORKERS) -p no:cacheprovider libs/common/tests/unit $(foreach s,$(SERVICES),services/$(s)/tests/unit)

lint: install ## ruff lint + format check, the layering contracts (import-linter), then mypy on every src/
	$(PY) ruff check $(LINT_PATHS)
	$(PY) ruff format --check $(LINT_PATHS)
	$(PY) lint-imports
	$(MAKE) --no-print-directory typecheck

typecheck: install ## mypy on libs/common and every service's whole src/
	$(PY) mypy $(TYPED_PATHS)

fmt: install ## format and autofix with ruff
	$(PY) ruff format $(LINT_PATHS)
	$(PY) ruff check --fix $(LINT_PATHS)

protos: install ## regenerate the gRPC stubs and the committed descriptor set from protos/
	$(PY) python scripts/protos.py generate

schedules: install ## write the chart's CronJob schedules from the services' declared jobs
	$(PY) python scripts/schedules.py write

events: install ## re-lock the event contracts (keel_events) after a compatible change
	$(PY) python scripts/events.py lock

bench: install ## run every benchmark under bench/, each once the load average is under 1 (needs the local RabbitMQ/PostgreSQL/Redis, wrk)
	@command -v wrk >/dev/null 2>&1 || scripts/install-wrk.sh
	@for b in bench/*/run.py bench/search/lag.py bench/search/cache.py bench/http/split.py; do echo "== $$b"; \
		$(PY) python bench/quiet.py --anyway && $(PY) python $$b || exit 1; done

clean: ## remove local state (databases, outbox files, gateway config) under var/
	find var -mindepth 1 -maxdepth 1 -exec rm -rf {} + 2>/dev/null || true
	rm -rf .pytest_cache .mypy_cache .ruff_cache
