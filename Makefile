# Rukun: `make run` sets everything up and serves the demo; `make test` runs the suite.
# Needs only python3 (3.11+), node/npm and make on the machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
FLASK  := $(BIN)/flask --app wsgi

.PHONY: run test install install-test browser assets translations messages db seed lint bench clean

# The browser tests drive Debian's Chromium through Playwright's Python package (`executable_path`);
# no install step may fetch a browser build of its own, so Playwright's download is switched off.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
CHROMIUM ?= /usr/bin/chromium

run: install assets translations db
	$(FLASK) seed --if-empty
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install-test browser assets translations audit
	# SQLite always; PostgreSQL as well when TEST_DATABASE_URL names one (CI does).
	env -u TEST_DATABASE_URL $(BIN)/pytest -q -p no:cacheprovider
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL: $$TEST_DATABASE_URL"; \
		$(BIN)/pytest -q -p no:cacheprovider; \
	fi

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel
	touch $@

$(VENV)/.installed: $(VENV)/.created setup.cfg pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed setup.cfg
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# Debian's chromium package for tests/browser, installed once when missing (sudo unless root).
browser:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		echo "== installing Debian's chromium for the browser tests"; \
		sudo=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$sudo apt-get update -qq && \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
	fi

# Front-end assets come from npm (package-lock.json) and are copied under app/static/vendor,
# so the app serves them itself: nothing loads from a CDN at run time.
assets: app/static/vendor/.installed

app/static/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf app/static/vendor && mkdir -p app/static/vendor
	cp -r node_modules/bootstrap/dist app/static/vendor/bootstrap
	mkdir -p app/static/vendor/bootstrap-icons
	cp -r node_modules/bootstrap-icons/font/. app/static/vendor/bootstrap-icons/
	cp -r node_modules/leaflet/dist app/static/vendor/leaflet
	cp -r node_modules/leaflet.markercluster/dist app/static/vendor/leaflet.markercluster
	mkdir -p app/static/vendor/chart.js
	cp node_modules/chart.js/dist/chart.umd.min.js app/static/vendor/chart.js/
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d app/translations

# After changing user-facing strings: refresh the catalogues, then translate the new entries in
# app/translations/id/LC_MESSAGES/messages.po (tests/unit/test_translations.py checks completeness).
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot .
	$(BIN)/pybabel update --ignore-obsolete -i app/translations/messages.pot -d app/translations

db: install
	$(FLASK) db upgrade

seed: install
	$(FLASK) seed

lint: install-test
	$(BIN)/ruff check app seeds tests bench

# Security checks, run by `make test`: bandit (exceptions documented in setup.cfg) and pip-audit against
# PyPI's advisory data for every installed package (our own editable package is not on PyPI).
audit: install-test
	$(BIN)/bandit -q --ini setup.cfg -r app seeds config.py wsgi.py
	$(BIN)/pip-audit --progress-spinner off --skip-editable

bench: install-test
	$(BIN)/python -m bench $(BENCH)

# Production: gunicorn (gunicorn.conf.py) with RUKUN_ENV=production. SECRET_KEY and DATABASE_URL come from the
# environment and the production config refuses to start without them: that error is shown as it is.
.PHONY: install-prod run-prod backup test-backup
install-prod: $(VENV)/.installed-prod

$(VENV)/.installed-prod: $(VENV)/.installed setup.cfg
	$(BIN)/pip install -q -e '.[prod]'
	touch $@

# The suite's short load run (tests/functional/test_load_run.py) and `python -m bench load` serve with gunicorn.
install-test: install-prod

run-prod: install-prod assets translations
	@echo "== Rukun in production: RUKUN_ENV=production, gunicorn -c gunicorn.conf.py wsgi:app"
	@echo "   SECRET_KEY (the same on every app server) and DATABASE_URL (PostgreSQL) must be set, e.g."
	@echo "   SECRET_KEY=\$$(python3 -c 'import secrets; print(secrets.token_hex(32))') \\"
	@echo "   DATABASE_URL=postgresql://rukun@127.0.0.1:5432/rukun GUNICORN_WORKERS=4 make run-prod"
	@echo "   Listens on GUNICORN_BIND (default 127.0.0.1:8000) for a proxy in front; README: Running at scale."
	RUKUN_ENV=production $(FLASK) db upgrade
	RUKUN_ENV=production $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

# Database (pg_dump) and uploads (tar) of DATABASE_URL and UPLOAD_FOLDER into BACKUP_DIR (default backups/).
backup:
	scripts/backup.sh $(BACKUP_DIR)

# Back up a seeded scratch database, restore it into another and compare everything (PostgreSQL on 127.0.0.1).
test-backup: install
	scripts/test_backup_restore.sh

clean:
	rm -rf $(VENV) node_modules app/static/vendor instance .pytest_cache
