# deskpilot: `make demo` runs the main job, `make test` runs the tests. Both install what they need.
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := xvfb xauth x11-utils xdotool xclip wmctrl x11-xserver-utils xterm x11-apps \
	l3afpad jwm bubblewrap fonts-dejavu-core fonts-dejavu-extra python3-venv python3-tk espeak-ng \
	alsa-utils openssl

.PHONY: deps install build-extra demo test lint bench bench-suites clean default-model

deps:  ## Debian packages: a virtual X display, a window manager and the apps the tests drive
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q -U pip
	$(PY) -m pip install -q -e '.[test]'
	$(PY) -m pip install -q -e examples/notes-plugin
	touch $@

install: deps $(VENV)/.installed

demo: install  ## the main job: an agent task on a demo window (virtual display if there is no screen)
	$(VENV)/bin/deskpilot demo

test: install  ## every test, unit and real-display integration (the tests start their own Xvfb)
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

build-extra: install  ## PyTorch and the ONNX tooling: training, test-model builds and their tests
	$(PY) -m pip install -q -e '.[build]'

default-model: build-extra  ## rebuild the embedded default model: data -> train -> export -> eval (~2 h)
	$(PY) -m training.build_default_model

bench: install
	$(PY) benchmarks/bench_toolkit.py

bench-suites: install  ## the whole built-in suite with 1, 2 and 4 local workers: tasks per minute
	$(PY) benchmarks/bench_suites.py

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache .ruff_cache .hypothesis
