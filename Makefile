# Every target bootstraps what it needs, so both work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test demo lint bench clean system-deps

system-deps:
	@command -v exiftool >/dev/null && command -v pdftotext >/dev/null && command -v openssl >/dev/null && command -v zip >/dev/null \
	  || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	         libimage-exiftool-perl poppler-utils openssl zip >/dev/null; }

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check evidence cli tests bench
	$(BIN)/ruff format --check evidence cli tests bench
	$(BIN)/mypy --strict evidence cli

test: system-deps $(STAMP) lint
	$(BIN)/pytest -q

demo: system-deps $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" bash demo/demo.sh

clean:
	rm -rf $(VENV) build *.egg-info
