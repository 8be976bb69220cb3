# Two commands: `make demo` and `make test`. Both set up .venv from this repository's own files.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The install is redone when pyproject.toml's text changes, not its time: nbdev-export rewrites the same text at every export.
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
# The CPU build of PyTorch; an open range would pull a multi-GB CUDA build.
TORCH := torch==2.13.0

.PHONY: setup demo test test-fast test-durations check-clean browser docs-check lab bench chapters clean-reports

$(STAMP):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check $(TORCH)
	$(BIN)/pip install -q --disable-pip-version-check -e ".[dev]"
	rm -f $(VENV)/.installed*
	touch $@

setup: $(STAMP)

demo: setup
	$(BIN)/loss-landscape all --preset quick

# nbdev's own CI: cleaning and exporting the notebooks must not change anything under git.
check-clean: setup
	$(BIN)/nbdev-clean
	$(BIN)/nbdev-export
	@if [ -n "$$(git status --porcelain -- nbs loss_landscape)" ]; then \
	  git status --porcelain -- nbs loss_landscape; \
	  echo "nbdev-clean/nbdev-export changed the files above: run them and commit"; exit 1; fi

# The browser test drives Debian's Chromium. Where it is missing: apt-get as root, otherwise the one command to run.
CHROMIUM := /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium (apt-get) for the browser test"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "the browser test needs $(CHROMIUM): run 'sudo apt-get install chromium', then make test again"; exit 1; fi; }

# pytest runs everything once: every chapter's checks (tests/test_chapters.py, one test per chapter, through nbdev's
# notebook tester) and the command-line tests, shared by two processes. The longest go first (tests/durations.json),
# handed out a test at a time (a process holds two at most), so that both processes end together.
PYTEST := $(BIN)/pytest -q -n 2 --maxschedchunk 1

test: check-clean browser
	$(PYTEST)

test-fast: setup browser
	$(BIN)/nbdev-export
	$(PYTEST) -m "not slow"

# Every check once, writing each test's seconds to tests/durations.json: the longest go first in later runs.
test-durations: setup browser
	$(PYTEST) --record-durations

# The processing step of nbdev-docs (it executes the cells that show_doc needs); nbdev writes its Quarto files into nbs/ on the way.
docs-check: setup
	$(BIN)/nbdev-proc-nbs --force; status=$$?; rm -f nbs/_quarto.yml nbs/nbdev.yml nbs/sidebar.yml; exit $$status

lab: setup
	$(BIN)/jupyter lab nbs

bench: setup
	$(BIN)/pip install -q --disable-pip-version-check -e ".[bench]"
	$(BIN)/python bench/run_all.py

# The chapters are stored with their outputs so that the site shows their figures: re-execute after editing.
chapters: setup
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=900 --ExecutePreprocessor.kernel_name=python3 nbs/index.ipynb nbs/[0-9]*.ipynb
	$(BIN)/nbdev-clean

clean-reports:
	find reports -mindepth 1 ! -name .gitkeep ! -path 'reports/published' ! -path 'reports/published/*' -delete  # the published study stays
