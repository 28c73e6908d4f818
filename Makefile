# The two commands in the README do all set-up on a machine with Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
OUT := out
STAMP := $(VENV)/.installed

.PHONY: demo test install lint bench clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	rm -rf $(OUT)/sample
	$(BIN)/triangulate synth --out $(OUT)/sample --seed 1
	@status=0; $(BIN)/triangulate run $(OUT)/sample/release.yaml --out $(OUT)/demo || status=$$?; \
	  echo; echo "Outputs are in $(OUT)/demo/ (results.json, junit.xml, summary.md); inputs and manifest.json in $(OUT)/sample/"; \
	  echo "Exit status $$status: 0 all agree, 1 checks or comparisons failed (expected: the sample carries injected defects)"; \
	  test $$status -le 1

lint: install
	$(BIN)/ruff check .

test: install
	$(BIN)/ruff check .
	$(BIN)/pytest -q

bench: install
	$(BIN)/python benchmarks/bench_check.py
	$(BIN)/python benchmarks/bench_reconcile.py

clean:
	rm -rf $(VENV) $(OUT) test-output
