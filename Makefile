# 淳安社区建设管理平台: everything a developer, `make run`'s demo and CI need.
# `make help` lists the targets. All set-up happens here: a fresh Debian machine with
# Python 3.11 needs nothing but `make run` and `make test`.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements.txt
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
PG_URL ?= postgres://postgres@127.0.0.1:5432/chunan
# pytest-xdist workers for the non-browser tests (0: none); on 2 cores, 2 saves about a third.
TEST_WORKERS ?= auto
# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="-k healthz -x"`.
PYTEST_ARGS ?=
# make test-dates: the hard days the clock is moved to (CHUNAN_TEST_TODAY, tests/conftest.py):
# New Year in the county while UTC is still in the old year, the last day of a month,
# 29 February, the last evening of a year. The date-sensitive tests run on each (the demo
# calendar's own tests, tests/communities/test_demo_calendar.py, set these days themselves).
TEST_DAYS ?= 2027-01-01T00:30+08:00 2027-04-30 2028-02-29 2026-12-31T22:00+08:00
DATE_TESTS ?= tests/returns tests/ratings tests/services tests/test_dashboard.py \
	tests/communities/test_load_chunan.py tests/communities/test_workspace.py \
	tests/communities/test_record_edits.py tests/test_announcements.py tests/test_workplace.py \
	tests/notifications tests/reports
DATE_E2E ?= tests/e2e/test_returns_journey.py tests/e2e/test_dashboard_journey.py \
	tests/e2e/test_statistics_journey.py
# make bench: the database when DATABASE_URL is not set (the local PostgreSQL, created if
# missing), the synthetic data generated when it holds none, extra `manage.py bench` options.
BENCH_DB ?= postgres://postgres@127.0.0.1:5432/chunan_scale
BENCH_COMMUNITIES ?= 10000
BENCH_MONTHS ?= 12
BENCH_ARGS ?=
# make load: concurrent connections and seconds of load on the public notice, extra options
# (e.g. LOAD_ARGS=--cold); the database as for make bench.
CONNECTIONS ?= 200
SECONDS ?= 30
LOAD_ARGS ?=
# make backup: the archive to write (default var/backups/chunan-<date>-<time>.tar.gz);
# make restore: the archive to restore (FILE=…, required), YES=1 to replace a database or
# media folder that is not empty.
OUTPUT ?=
FILE ?=
YES ?=

# The local demo (make run): plain http on this machine, the SQLite file under var/ and a
# key generated once into var/secret_key. Production sets its own environment (README).
# Its e-mail is written to files under var/mail/ (one file per message), never sent.
DEMO_ENV = DJANGO_SETTINGS_MODULE=chunan_community.settings \
	DJANGO_SECRET_KEY="$$(cat var/secret_key)" DJANGO_HTTPS=false \
	DJANGO_ALLOWED_HOSTS="$${DJANGO_ALLOWED_HOSTS:-127.0.0.1,localhost,$(HOST)}" \
	DATABASE_URL="sqlite:///$(CURDIR)/var/db.sqlite3" \
	DJANGO_EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend \
	DJANGO_EMAIL_FILE_PATH="$(CURDIR)/var/mail" CHUNAN_SITE_URL="http://$(HOST):$(PORT)"
# Production settings with a throw-away key, for checks that only need settings to load (a
# cache named in case DATABASE_URL names PostgreSQL, where the settings require one).
CHECK_ENV = DJANGO_SETTINGS_MODULE=chunan_community.settings \
	DJANGO_SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	DJANGO_ALLOWED_HOSTS=portal.example.org DJANGO_HTTPS=true \
	CHUNAN_CACHE_URL="$${CHUNAN_CACHE_URL:-locmemcache://}"

# make backup and make restore: the database of DATABASE_URL, else the demo's SQLite file;
# the files of DJANGO_MEDIA_ROOT (default var/media). The key is the environment's, else the
# demo's, else a throw-away one: neither command signs anything.
OPS_ENV = DJANGO_SETTINGS_MODULE=chunan_community.settings \
	DATABASE_URL="$${DATABASE_URL:-sqlite:///$(CURDIR)/var/db.sqlite3}" \
	DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat var/secret_key 2>/dev/null \
		|| $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')}"

# make bench and make load: DATABASE_URL, else BENCH_DB (the local PostgreSQL cluster
# started and the database created when missing), migrated and with its static files
# collected; production settings over plain http with a throw-away key.
define bench_setup
	db="$${DATABASE_URL:-$(BENCH_DB)}"; name="$${db##*/}"; name="$${name%%\?*}"; \
	if [ -z "$${DATABASE_URL:-}" ]; then \
		pg_isready -q -h 127.0.0.1 -p 5432 \
			|| pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
		for _ in $$(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
		[ "$$(psql -h 127.0.0.1 -U postgres -tAc \
			"SELECT 1 FROM pg_database WHERE datname = '$$name'")" = 1 ] \
			|| createdb -h 127.0.0.1 -U postgres "$$name"; \
	fi; \
	export DJANGO_SETTINGS_MODULE=chunan_community.settings DATABASE_URL="$$db" \
		CHUNAN_CACHE_URL="$${CHUNAN_CACHE_URL:-filecache://$(CURDIR)/var/cache?max_entries=5000}" \
		DJANGO_HTTPS=false DJANGO_SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')"; \
	echo "==> $(1) on $${db%%:*} database $$name (migrate, collectstatic, then measure)"; \
	$(PY) manage.py migrate --noinput -v 0; \
	$(PY) manage.py collectstatic --noinput -v 0
endef

# $(call apt_install,PACKAGES): Debian packages, as root or through sudo.
define apt_install
	if [ "$$(id -u)" -eq 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null; then sudo="sudo"; \
	else echo "make: Debian packages missing ($(strip $(1))) and not root, no sudo:" \
		"ask an administrator for: apt-get install -y $(strip $(1))" >&2; exit 1; fi; \
	echo "==> apt-get install $(strip $(1))"; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null
endef
deb_installed = dpkg-query -W -f='$${Status}' $(1) 2>/dev/null | grep -q 'ok installed'

.PHONY: help install run test test-dates test-postgres bench load backup restore drill lint format \
	messages check check-messages browser office redis lock clean

help: ## List the targets
	@echo "淳安社区建设管理平台: make targets"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*## "} {printf "  make %-14s %s\n", $$1, $$2}'
	@echo "Variables: HOST, PORT (make run); DATABASE_URL, TEST_WORKERS, PYTEST_ARGS (make test);"
	@echo "  CONNECTIONS, SECONDS, WORKERS (make load); OUTPUT (make backup); FILE, YES (make restore)."

install: ## Create .venv if missing; install requirements.txt when it changed
	@if [ ! -x $(PY) ]; then \
		if [ -z "$(PYTHON)" ]; then echo "make: Python 3.11 not found (python3.11 or python3)" >&2; exit 1; fi; \
		$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
			|| { echo "make: $(PYTHON) is not Python 3.11; set PYTHON=/path/to/python3.11" >&2; exit 1; }; \
		echo "==> creating $(VENV) with $(PYTHON)"; \
		if ! $(PYTHON) -m venv $(VENV); then \
			echo "==> no venv module (Debian ships it apart): installing python3-venv"; \
			rm -rf $(VENV); \
			$(call apt_install,python3-venv); \
			$(PYTHON) -m venv $(VENV); \
		fi; \
		rm -f $(STAMP); \
	fi
	@if ! cmp -s requirements.txt $(STAMP); then \
		echo "==> installing requirements.txt into $(VENV)"; \
		$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt; \
		cp requirements.txt $(STAMP); \
	fi

var/secret_key: | install
	@mkdir -p var
	@umask 077 && $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@
	@echo "==> generated the demo's secret key in $@"

run: install var/secret_key ## Set up the local demo (SQLite under var/), serve it with gunicorn and the task worker
	@echo "==> migrating var/db.sqlite3"
	@$(DEMO_ENV) $(PY) manage.py migrate --noinput -v 0
	@echo "==> loading the Chun'an data and the demo accounts"
	@$(DEMO_ENV) $(PY) manage.py load_chunan --demo-accounts
	@echo "==> collecting static files"
	@$(DEMO_ENV) $(PY) manage.py collectstatic --noinput -v 0
	@echo
	@echo "淳安社区建设管理平台 (local demo): http://$(HOST):$(PORT)/"
	@echo
	@echo "  Demo logins, password chunan-demo (for demonstration only):"
	@echo "    demo_county    county civil-affairs staff   whole county"
	@echo "    demo_township  township staff               千岛湖镇"
	@echo "    demo_clerk     community clerk              西园社区"
	@echo "    demo_judge     review-panel judge           rating rounds assigned"
	@echo
	@echo "  E-mail is written to var/mail/; county staff see it under 发件箱 (Outbox)."
	@echo "  Stop with Ctrl-C."
	@$(DEMO_ENV) $(PY) manage.py start_schedule --reminders
	@# The task queue's worker (e-mail, reminders) beside gunicorn; it stops with it.
	@$(DEMO_ENV) $(PY) manage.py db_worker --no-reload --interval 2 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null || true' EXIT; \
	$(DEMO_ENV) $(VENV)/bin/gunicorn --config chunan_community/gunicorn.conf.py \
		chunan_community.wsgi --bind $(HOST):$(PORT) --workers $(WORKERS) \
		--access-logfile - --log-level info

browser: ## Install Debian's chromium and CJK fonts for the browser tests if missing
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="chromium"; \
	$(call deb_installed,fonts-noto-cjk) || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then $(call apt_install,$$missing); fi

office: ## Install Debian's LibreOffice Writer (no GUI) if missing: a test opens the .docx reports with it
	@command -v soffice >/dev/null || { $(call apt_install,libreoffice-writer-nogui); }

redis: ## Start a Redis server for the shared-cache test if none answers (install it if missing)
	@if [ -z "$${CHUNAN_TEST_REDIS_URL:-}" ] && ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then \
		if ! command -v redis-server >/dev/null; then $(call apt_install,redis-server); fi; \
		echo "==> starting redis-server on 127.0.0.1:6379 (nothing kept on disk)"; \
		redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no --daemonize yes; \
	fi

# The browser tests run in their own pytest process: only they need
# DJANGO_ALLOW_ASYNC_UNSAFE (set in tests/e2e/conftest.py), so the rest keeps Django's check.
# Both parts always run; the target fails if either failed. With PYTEST_ARGS narrowing the
# run, a part that selects no test (pytest's exit 5) is fine.
allow_none = $(if $(strip $(PYTEST_ARGS)),[ $$rc -ne 5 ] || rc=0;)
test: install browser office redis ## Run the whole suite (SQLite; PostgreSQL when DATABASE_URL names one)
	@db="$${DATABASE_URL:-sqlite://}"; echo "==> tests on $${db%%:*}, $(TEST_WORKERS) workers"; \
	status=0; rc=0; \
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --ignore=tests/e2e -m "not e2e" $(PYTEST_ARGS) || rc=$$?; \
	$(allow_none) [ $$rc -eq 0 ] || status=$$rc; \
	echo "==> browser tests (Debian's chromium)"; rc=0; \
	$(VENV)/bin/pytest tests/e2e -m e2e $(PYTEST_ARGS) || rc=$$?; \
	$(allow_none) [ $$rc -eq 0 ] || status=$$rc; \
	exit $$status

# Each day runs whatever the others did; the target fails if any run failed.
test-dates: install browser office redis ## Run the date-sensitive tests with the clock moved to each of TEST_DAYS
	@status=0; \
	for day in $(TEST_DAYS); do \
		echo "==> the clock moved to $$day: $(DATE_TESTS)"; \
		CHUNAN_TEST_TODAY=$$day $(VENV)/bin/pytest -n $(TEST_WORKERS) -m "not e2e" \
			$(DATE_TESTS) $(PYTEST_ARGS) || status=1; \
		echo "==> the clock moved to $$day: browser journeys"; \
		CHUNAN_TEST_TODAY=$$day $(VENV)/bin/pytest -m e2e $(DATE_E2E) $(PYTEST_ARGS) || status=1; \
	done; \
	exit $$status

test-postgres: ## Run the suite on the local PostgreSQL (PG_URL, default .../chunan)
	@pg_isready -q -h 127.0.0.1 -p 5432 \
		|| pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@DATABASE_URL=$(PG_URL) $(MAKE) test

# Production settings over plain http, a throw-away key; prints BENCH lines (docs/performance.md).
bench: install ## Benchmark pages, load and exports on DATABASE_URL (default: local chunan_scale)
	@$(call bench_setup,bench); \
	$(PY) manage.py bench --communities $(BENCH_COMMUNITIES) --months $(BENCH_MONTHS) \
		--workers $(WORKERS) $(BENCH_ARGS)

# Fails when any request failed (another status, a connection error, a timeout).
load: install ## Load the public notice: CONNECTIONS (200) for SECONDS (30) through gunicorn
	@$(call bench_setup,load); \
	$(PY) manage.py bench --load-notice --connections $(CONNECTIONS) --seconds $(SECONDS) \
		--communities $(BENCH_COMMUNITIES) --months $(BENCH_MONTHS) \
		--workers $(WORKERS) $(LOAD_ARGS)

backup: install ## Back up the database and media files into one archive (docs/backup.md)
	@$(OPS_ENV) $(PY) manage.py backup $(if $(OUTPUT),--output "$(OUTPUT)")

restore: install ## Restore a backup: make restore FILE=var/backups/….tar.gz [YES=1]
	@if [ -z "$(FILE)" ]; then \
		echo "make restore: name the archive, e.g. make restore FILE=var/backups/chunan-….tar.gz" >&2; \
		exit 1; \
	fi
	@$(OPS_ENV) $(PY) manage.py restore "$(FILE)" $(if $(YES),--yes)

# Not part of CI: it needs root, starts nginx and a PostgreSQL cluster of its own (15/drill,
# port 5433) and restarts that cluster; its figures are in docs/scaling.md.
drill: install redis ## Two app servers behind nginx on this machine: the production drill
	@command -v nginx >/dev/null || { $(call apt_install,nginx); }
	@$(PY) operations/drill.py

lint: install ## ruff check, ruff format --check and the layer contracts (lint-imports)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: install ## Format the code and apply ruff's safe fixes
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

messages: install ## Update locale/ .po files (zh_Hans, en) and compile the .mo files
	@$(call deb_installed,gettext) || { $(call apt_install,gettext); }
	$(CHECK_ENV) $(PY) manage.py makemessages -l zh_Hans -l en \
		--ignore=.venv --ignore=var --ignore=tests --no-obsolete
	$(CHECK_ENV) $(PY) manage.py compilemessages --ignore=.venv --ignore=var

# Compiles every .po into a temporary directory and compares the catalogues with the
# committed .mo files (as catalogues, so that a different msgfmt build cannot fail it).
check-messages: install ## Fail if a committed .mo file is not up to date with its .po
	@$(call deb_installed,gettext) || { $(call apt_install,gettext); }
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	shopt -s nullglob; pos=(locale/*/LC_MESSAGES/*.po); \
	if [ $${#pos[@]} -eq 0 ]; then echo "check-messages: no .po files under locale/" >&2; exit 1; fi; \
	stale=0; \
	for po in "$${pos[@]}"; do \
		mo="$${po%.po}.mo"; \
		msgfmt --check-format -o "$$tmp/new.mo" "$$po"; \
		if [ ! -f "$$mo" ] || ! $(PY) -c 'import gettext, sys; \
			load = lambda p: gettext.GNUTranslations(open(p, "rb"))._catalog; \
			sys.exit(load(sys.argv[1]) != load(sys.argv[2]))' "$$tmp/new.mo" "$$mo"; then \
			echo "check-messages: $$mo is missing or older than $$po" >&2; stale=1; \
		fi; \
	done; \
	if [ $$stale -ne 0 ]; then echo "Run 'make messages' and commit locale/." >&2; exit 1; fi; \
	echo "check-messages: $${#pos[@]} catalogues, compiled files up to date"

check: install ## makemigrations --check, check --deploy (production settings), .mo up to date
	@mkdir -p var
	$(CHECK_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(CHECK_ENV) $(PY) manage.py check --deploy --fail-level WARNING
	@$(MAKE) check-messages

lock: ## Re-pin requirements.txt from pyproject.toml in a throw-away venv
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(PYTHON) -m venv "$$tmp/venv"; \
	$(PYTHON) -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; \
		print("\n".join(p["dependencies"] + p["optional-dependencies"]["dev"]))' > "$$tmp/in.txt"; \
	"$$tmp/venv/bin/pip" install --quiet --disable-pip-version-check -r "$$tmp/in.txt"; \
	{ echo "# The complete, pinned set that \`make\` installs (top-level choices are in pyproject.toml)."; \
	  echo "# Regenerate after changing pyproject.toml: make lock"; \
	  "$$tmp/venv/bin/pip" freeze --disable-pip-version-check; } > requirements.txt
	@echo "requirements.txt re-pinned; the next make installs it"

clean: ## Remove .venv, collected static files and caches (keeps var/db.sqlite3, var/secret_key)
	rm -rf $(VENV) var/static .pytest_cache .ruff_cache test-results
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
