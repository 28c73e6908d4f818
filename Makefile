# The two commands in the README do all set-up on a machine with Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
OUT := out
STAMP := $(VENV)/.installed

CHROMIUM := /usr/bin/chromium
AXE := tests/browser/node_modules/axe-core/axe.min.js
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test install browser postgres lint bench clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	@# A venv made before the distribution was renamed (setup.cfg) holds it as `triangulate` too: drop that first.
	$(BIN)/pip uninstall --quiet --disable-pip-version-check --yes triangulate 2>/dev/null || true
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The browser tests use Debian's Chromium (driven by Playwright's Python package, which downloads
# no browser of its own) and axe-core from the npm registry, pinned by tests/browser/package-lock.json.
$(CHROMIUM):
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund --silent

browser: $(CHROMIUM) $(AXE)

# The run history's tests start a throwaway server from Debian's PostgreSQL binaries (tests/postgres.py); the target
# is whichever version's initdb is installed, and a name that does not exist (so it is installed) when none is.
INITDB := $(or $(firstword $(wildcard /usr/lib/postgresql/*/bin/initdb)),/usr/lib/postgresql/VERSION/bin/initdb)

$(INITDB):
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends postgresql >/dev/null

postgres: $(INITDB)

demo: install
	rm -rf $(OUT)/sample
	$(BIN)/triangulate synth --out $(OUT)/sample --seed 1
	@status=0; $(BIN)/triangulate run $(OUT)/sample/release.yaml --out $(OUT)/demo || status=$$?; \
	  echo; echo "Outputs are in $(OUT)/demo/ (report.html and its CSV side files, results.json, junit.xml, summary.md); inputs and manifest.json in $(OUT)/sample/"; \
	  echo "Exit status $$status: 0 all agree, 1 checks or comparisons failed (expected: the sample carries injected defects)"; \
	  test $$status -le 1

lint: install
	$(BIN)/ruff check .

test: install browser postgres
	$(BIN)/ruff check .
	$(BIN)/pytest -q

bench: install
	$(BIN)/python benchmarks/bench_speed.py
	$(BIN)/python benchmarks/bench_cin_reader.py
	$(BIN)/python benchmarks/bench_check.py
	$(BIN)/python benchmarks/bench_reconcile.py
	$(BIN)/python benchmarks/bench_national.py
	$(BIN)/python benchmarks/bench_revisions.py
	$(BIN)/python benchmarks/bench_history.py
	$(BIN)/python benchmarks/bench_learned.py
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	$(BIN)/python benchmarks/bench_sources.py

clean:
	rm -rf $(VENV) $(OUT) test-output tests/browser/node_modules

# Coverage-guided fuzzing of every reader and the run config (fuzz/README.md): each harness in
# fuzz/fuzz_*.py runs FUZZ_SECONDS; not part of `make test` or CI. A crash is saved in
# tests/fuzz_regressions/<harness>/, which `make test` replays; fuzz-<harness> runs one.
FUZZ_SECONDS ?= 600
FUZZ_STAMP := $(VENV)/.fuzz-installed
FUZZ_HARNESSES := $(sort $(patsubst fuzz/fuzz_%.py,%,$(wildcard fuzz/fuzz_*.py)))
FUZZ_TARGETS := $(addprefix fuzz-,$(FUZZ_HARNESSES))
.PHONY: fuzz $(FUZZ_TARGETS)

$(FUZZ_STAMP): $(STAMP) setup.cfg
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,fuzz]'
	touch $(FUZZ_STAMP)

fuzz: $(FUZZ_STAMP)
	@status=0; for harness in $(FUZZ_HARNESSES); do \
	  $(BIN)/python fuzz/run.py $$harness --seconds $(FUZZ_SECONDS) || status=1; \
	done; echo "Results of every run: $(OUT)/fuzz/summary.tsv"; exit $$status

$(FUZZ_TARGETS): fuzz-%: $(FUZZ_STAMP)
	$(BIN)/python fuzz/run.py $* --seconds $(FUZZ_SECONDS)
