# Every target bootstraps what it needs, so both work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test demo demo-agency lint bench clean system-deps

# exiftool (metadata), pdftotext/pdftoppm/pdffonts/pdfsig (tests read the PDFs and their
# signatures back), openssl (tests and the demo verify as a recipient would, `ts -verify` too),
# zip/unzip (benchmarks, demo, differential tests), bsdtar (libarchive-tools: the third
# extractor of the differential tests), and a PostgreSQL server (the ledger tests, demo-agency
# and the benchmarks start a throwaway cluster: initdb and pg_ctl live under
# /usr/lib/postgresql/*/bin, not on PATH); faketime (the time-rule tests set a signer's clock
# back as an insider would) and sqlite3 (they edit a ledger directly).
TOOLS := exiftool pdftotext pdftoppm pdffonts pdfsig openssl zip unzip bsdtar psql faketime sqlite3

system-deps:
	@for tool in $(TOOLS); do command -v $$tool >/dev/null || missing=1; done; \
	 ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing=1; \
	 if [ -n "$$missing" ]; then \
	   apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	     libimage-exiftool-perl poppler-utils openssl zip unzip libarchive-tools postgresql \
	     faketime sqlite3 >/dev/null; \
	 fi

# uv (from PyPI, into the venv) resolves and installs the ~90 packages in ~8 CPU-s where pip
# took 35-55 (pip evaluates ~95,000 release links one by one and compiles every module it
# installs); pip stays the fallback wherever uv cannot be had. The modules are then compiled on
# every core, since PYTHONDONTWRITEBYTECODE may be set and commands and tests must find them
# compiled; mypy's run as compiled code, and of pandas and numpy (which case-utils brings, not
# used by its validator) only what sqlite-utils imports whenever they are installed is needed:
# compiling them whole would cost twice the install.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	( $(BIN)/pip install -q uv && $(BIN)/uv pip install -q --python $(BIN)/python -e '.[test]' ) \
	  || $(BIN)/pip install -q -e '.[test]'
	$(BIN)/python -m compileall -q -j 0 -x '/site-packages/(pandas|numpy|mypy|mypyc)/' $(VENV)/lib
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -c 'import sqlite_utils'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check evidence cli tests bench
	$(BIN)/ruff format --check evidence cli tests bench
	$(BIN)/mypy --strict evidence cli
	$(BIN)/lint-imports --no-cache

# The suite runs on every core (pytest-xdist: one process per core, each with its own
# PostgreSQL cluster and TSA); pytest's own exit status is kept, so "no tests ran" (5) fails.
# worksteal: a worker that runs out of tests takes some of another's queue, so a few long
# tests at the end of one queue do not leave the other core idle.
TEST_WORKERS ?= auto

test: system-deps $(STAMP) lint
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist worksteal

demo: system-deps $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" bash demo/demo.sh

# The same story for an agency: two workstations, one PostgreSQL ledger it starts and stops.
demo-agency: system-deps $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" bash demo/demo-agency.sh

# Every row of issue 23's table as a ratio against its reference, in one run (sizes from the
# environment: see bench/table.py; BENCH_LARGE=1 adds the 1,000,000-event audit and the
# 10,000-file ingest). Not part of make test.
bench: system-deps $(STAMP)
	$(BIN)/python bench/table.py

clean:
	rm -rf $(VENV) build *.egg-info
