# Two entry points for a newcomer: `make demo` and `make test`.
# Both create (or refresh) the virtualenv in .venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test install clean

DEV_STAMP := $(VENV)/.installed-dev

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e ".[dev,eval]"
	touch $(DEV_STAMP)

install: $(STAMP)

demo: $(STAMP)
	bash scripts/demo.sh $(VENV)

test: $(DEV_STAMP)
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache
