# `make test` and `make run` work on a fresh machine: they create .venv when missing, install
# .[dev] (building the compiled core), and rebuild the extension whenever csrc/ changed.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
CSRC := $(wildcard csrc/*.pyx csrc/*.pxi csrc/*.pxd csrc/*.h csrc/*.c)
PYTEST_ARGS ?=
# pytest-xdist workers: 0 (the default) runs the suite in this process; `make test PYTEST_WORKERS=auto`
# runs it on one worker per core, the Ray tests together on one worker and tests sharing a module- or
# session-scoped fixture on one worker (tests/conftest.py, pytest_xdist_make_scheduler). Not the
# default yet: on 2 cores it took 644 s (load 5) and 947 s (load 7) against 1120 s in one process
# (load 5), but Ray tests slowed by the other worker failed (ops/test_rollout's async fairness check,
# test_impala's module run losing an actor).
PYTEST_WORKERS ?= 0

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
