# Aperture. Quick start: `make run` (the whole portal) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
export PYTHONUNBUFFERED := 1

.PHONY: install assets run test lint typecheck migrations-check check-deploy schema-check ci \
        bench-upload bench-convert bench-queue bench-quota bench-viewer clean

$(STAMP): pyproject.toml requirements/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements/constraints.txt -e '.[dev]'
	touch $(STAMP)

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NPM_STAMP)

install: $(STAMP) assets

assets: $(NPM_STAMP)
	$(BIN)/python -m portal.assets

run: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo
	$(BIN)/python -m portal.devrun

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy portal submissions

migrations-check: $(STAMP)
	DJANGO_SETTINGS_MODULE=portal.settings.testing $(BIN)/python manage.py makemigrations --check --dry-run

check-deploy: $(STAMP)
	DJANGO_SETTINGS_MODULE=portal.settings.production DJANGO_SECRET_KEY=$$(head -c 48 /dev/urandom | base64) \
	DJANGO_ALLOWED_HOSTS=aperture.example.org \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

schema-check: $(STAMP)
	DJANGO_SETTINGS_MODULE=portal.settings.testing $(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null

ci: lint typecheck migrations-check check-deploy schema-check test

bench-upload: install
	$(BIN)/python tests/benchmarks/bench_upload.py

bench-convert: install
	$(BIN)/pip install --quiet -c requirements/constraints.txt -e '.[dev,bench]'
	$(BIN)/python tests/benchmarks/bench_convert.py
	$(BIN)/python tests/benchmarks/bench_publish.py

bench-queue: install
	$(BIN)/python tests/benchmarks/bench_queue.py

bench-quota: install
	$(BIN)/python tests/benchmarks/bench_quota.py

# Needs the live server and browser fixtures, so pytest runs it (never part of the suite).
bench-viewer: install
	$(BIN)/python -m pytest -q -s -p no:cacheprovider tests/benchmarks/bench_viewer.py

clean:
	rm -rf $(VENV) node_modules build var .pytest_cache .mypy_cache .ruff_cache
