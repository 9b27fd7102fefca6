# make install | train | test | test-fast | bench | lint | format | clean | distclean
VENV ?= .venv
PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# torch and torchvision are installed as a matching pair first (both lie in the
# local wheel cache of our machines; elsewhere pip fetches them).
TORCH_PAIR ?= torch==2.14.1 torchvision==0.29.1
export WANDB_SILENT := true
# The suite runs on TEST_WORKERS processes (pytest-xdist, one thread each): most of its time is
# train.py subprocesses starting up on one core, so two workers halve it on a 2-core machine.
TEST_WORKERS ?= 2

.PHONY: install train test test-fast bench lint format clean distclean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install -qq $(TORCH_PAIR)
	$(PYTHON) -m pip install -qq -e ".[dev]"
	touch $(STAMP)

train: install
	$(PYTHON) train.py

test: install
	$(PYTHON) -m pytest -q -n $(TEST_WORKERS) --dist worksteal

test-fast: install
	$(PYTHON) -m pytest -q -n $(TEST_WORKERS) --dist worksteal -m "not slow and not subprocess"

bench: install
	$(PYTHON) benchmarks/gmm_loader.py
	$(PYTHON) benchmarks/mnist_loader.py
	$(PYTHON) benchmarks/wsol_overhead.py
	$(PYTHON) benchmarks/maxboxacc.py
	$(PYTHON) benchmarks/boxes_one_threshold.py
	OMP_NUM_THREADS=1 $(PYTHON) benchmarks/cpu_precision.py
	$(PYTHON) benchmarks/box_conventions.py
	$(PYTHON) benchmarks/held_out_tau.py
	$(PYTHON) benchmarks/double_mnist_canvases.py
	$(PYTHON) benchmarks/mi_bar.py
	$(PYTHON) benchmarks/ddp_throughput.py

SOURCES := infocam_lit tests benchmarks train.py evaluate.py predict.py

lint: install
	$(VENV)/bin/ruff check $(SOURCES)

# the fixes ruff can make (imports sorted, ...), then the check; the code is laid out by hand (120 columns)
format: install
	$(VENV)/bin/ruff check --fix $(SOURCES)

# caches and debug runs (outputs/debug: never results); .venv and the runs under outputs/ are kept
clean:
	rm -rf .pytest_cache .ruff_cache build dist *.egg-info outputs/debug
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

# everything `make install` and the runs made: .venv and outputs/ too
distclean: clean
	rm -rf $(VENV) outputs
