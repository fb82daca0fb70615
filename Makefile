# The two commands a newcomer needs: `make demo` and `make test`. Every target is idempotent.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install browser model evidence-tools demo test lint bench clean

install: $(STAMP) browser model

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

# A Chromium Playwright can drive (its own, or Debian's when it cannot download) + CJK fonts.
browser: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" bash tools/ensure-browser.sh

# Public tools the evidence tests check packets with (VERIFY.txt commands, the cover sheet read
# back by OCR). Test-only: exporting a packet needs just Chromium, so `install`/`demo` skip it.
evidence-tools:
	bash tools/ensure-evidence-tools.sh

# A trained classifier in place (retrained only when the corpus or libraries changed).
model: $(STAMP)
	$(BIN)/certwatch train --if-stale

demo: install
	$(BIN)/certwatch demo

test: install evidence-tools
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: install
	$(BIN)/python bench/crawl.py --rounds 7
	$(BIN)/python bench/classify.py
	$(BIN)/python bench/evidence.py
	$(BIN)/python bench/domains.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/review.py
	$(BIN)/python bench/distributed.py --rounds 3
	$(BIN)/python bench/distributed.py --rounds 3 --polite 0.1

clean:
	rm -rf $(VENV) var build *.egg-info
