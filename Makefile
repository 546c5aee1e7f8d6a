# `make test` and `make run` work on a fresh machine: they create .venv when missing, install
# .[dev] (building the compiled core), and rebuild the extension whenever csrc/ changed.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
CSRC := $(wildcard csrc/*.pyx csrc/*.pxi csrc/*.pxd csrc/*.h csrc/*.c)
PYTEST_ARGS ?=
# pytest-xdist workers (tests/conftest.py, pytest_xdist_make_scheduler): tests sharing a module- or
# session-scoped fixture run on one worker, Ray tests anywhere (each worker that runs one starts its own
# session cluster: 2 clusters, ~650 MB each), the long tests (marked ray, slow or timeout) first.
# PYTEST_WORKERS=0 runs the suite in this process. On this 2-core machine, wall time of the whole suite
# (5,708-5,735 tests, other helpers loading it): 2 workers 924 s (load 4.6-11.7) and 1046 s (load
# 1.5-24, mean 9.7), 2 workers with all Ray tests on one worker 1183 s (load 4-7; that worker's 1133 s
# of tests bounded the run), one process 989-1041 s (CI, load ~5). Quiet machine, 5,739 tests: 2
# workers 822 s (fresh-clone CI), 3 workers 911 s (the Ray tests slow most). With a group per parameter
# of a parametrized fixture, and test_programs' and test_cli's Tune runs no longer one group each:
# 2 workers 1069 s of pytest, 5,742 passed (load 5.2-14.1, mean 10.0; no quiet run yet). 2 rather
# than auto: each worker may hold a Ray cluster and ~1.7 GB.
PYTEST_WORKERS ?= 2

.PHONY: venv build test run bench clean

$(VENV)/.installed: pyproject.toml setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first and exactly pinned: an open range would pull a multi-GB CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q "setuptools>=69" "Cython>=3.0.10,<4" numpy
	$(PY) -m pip install -q --no-build-isolation -e ".[dev]"
	touch $@

venv: $(VENV)/.installed

rlcore/.core-built: $(VENV)/.installed $(CSRC) setup.py
	$(PY) setup.py -q build_ext --inplace
	touch $@

build: rlcore/.core-built

test: build
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

run: build
	# RLlib 1.x's tuned CartPole PPO in one process (num_workers 0: no Ray); torch: the YAML's TF2
	# eager default is several times slower per iteration on CPU.
	$(VENV)/bin/rlcore train -f tuned_examples/ppo/cartpole-ppo.yaml --torch --config='{"num_workers": 0}'

bench: build
	$(PY) bench/kernels.py

clean:
	rm -rf build rlcore/_core*.so rlcore/.core-built csrc/_core.c
