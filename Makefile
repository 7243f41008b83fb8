# optiviz: `make run` serves the app, `make test` runs every test. Nothing else is needed.
VENV   ?= .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTHON ?= python3
SUDO   := $(shell [ "$$(id -u)" = 0 ] || command -v sudo >/dev/null 2>&1 && [ "$$(id -u)" != 0 ] && echo sudo)

.PHONY: run test test-deps gates bench system-deps clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	@touch $@

$(VENV)/.dev-installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@ $(VENV)/.installed

# compile the engine's kernels into the venv's cache once (the first request then loads them);
# `make test` compiles them after the dev install (KERNEL_AFTER), never beside a second pip run
KERNEL_AFTER ?= $(VENV)/.installed
$(VENV)/.kernels: $(KERNEL_AFTER) $(wildcard app/engine/kernels/*.py) app/engine/surfaces.py
	$(PY) -m app.engine.kernels.warmup
	@touch $@

run: $(VENV)/.installed $(VENV)/.kernels
	$(VENV)/bin/optiviz serve --host $(HOST) --port $(PORT)

# Debian packages the tests drive: Chromium (browser tests), nginx (proxy test), wrk (load bench),
# fonts-noto-cjk (the Chinese pages in screenshots)
system-deps:
	@missing=""; \
	for pair in chromium:chromium nginx:nginx wrk:wrk; do \
	  bin=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$bin >/dev/null 2>&1 || [ -x /usr/sbin/$$bin ] || missing="$$missing $$pkg"; \
	done; \
	dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

# the installs side by side, the gates beside them once the dev extras are in: dev extras then
# (kernels | gates) | Debian packages | torch + JAX venv (each job's output printed whole when it ends)
test-deps:
	@$(MAKE) --no-print-directory -j4 --output-sync=target KERNEL_AFTER=$(VENV)/.dev-installed \
	  $(VENV)/.kernels gates system-deps .venv-torch/.installed

# the export round trips run the exported PyTorch / optax scripts in .venv-torch (never a runtime dependency)
TEST_ENV := OPTIVIZ_TORCH_PYTHON=$(CURDIR)/.venv-torch/bin/python OPTIVIZ_REQUIRE_TORCH=1

# The gates (`make test` runs them beside the installs): style, formatting, types, layers, dead code,
# each with zero findings (every one runs and reports, then the target fails if any found
# something). Configs in pyproject.toml.
GATES := "ruff check ." "ruff format --check ." mypy lint-imports vulture
gates: $(VENV)/.dev-installed
	@failed=""; \
	for gate in $(GATES); do \
	  echo "== $$gate"; \
	  PATH="$(abspath $(VENV))/bin:$$PATH" $$gate || failed="$$failed [$$gate]"; \
	done; \
	if [ -n "$$failed" ]; then echo "gates with findings:$$failed"; exit 1; fi

# Two passes: the tests that time nothing on four workers (two cores: browsers mostly wait on
# playback, round trips on a second interpreter), then the `serial` ones (load, deadlines, proxy,
# timed checks) alone on a quiet machine. The first pass hands out single tests (a long file, e.g.
# the export round trips, is shared by the workers); the tests of one `xdist_group` (the wheel's
# build, install and image) go to one worker.
test: test-deps
	$(TEST_ENV) $(PY) -m pytest -n 4 --dist loadgroup -m "not serial" --durations=15
	$(TEST_ENV) $(PY) -m pytest -m serial --durations=15

# torch and JAX/optax only as the benchmarks' baselines and the export round trips, in their own venv
# (never runtime dependencies; torch from this machine's local wheel)
.venv-torch/.installed:
	$(PYTHON) -m venv .venv-torch
	.venv-torch/bin/pip install -q torch==2.13.0 numpy jax optax
	@touch $@

bench: $(VENV)/.dev-installed $(VENV)/.kernels system-deps .venv-torch/.installed
	OPTIVIZ_TORCH_PYTHON=.venv-torch/bin/python $(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
