# Two commands: `make demo` and `make test`. Both set up .venv from this repository's own files.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The CPU build of PyTorch; an open range would pull a multi-GB CUDA build.
TORCH := torch==2.13.0

.PHONY: setup demo test test-fast check-clean lab bench chapters clean-reports

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check $(TORCH)
	$(BIN)/pip install -q --disable-pip-version-check -e ".[dev]"
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

test: check-clean
	$(BIN)/nbdev-test --flags slow
	$(BIN)/pytest -q

test-fast: setup
	$(BIN)/nbdev-export
	$(BIN)/nbdev-test
	$(BIN)/pytest -q -m "not slow"

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
	find reports -mindepth 1 ! -name .gitkeep -delete
