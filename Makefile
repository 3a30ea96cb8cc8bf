# Two entry points for a newcomer: `make demo` and `make test`.
# Both create (or refresh) the virtualenv in .venv first, installing from the pins in constraints.txt,
# so a fresh machine gets the same package versions that CI tested. `make lock` renews the pins.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --constraint constraints.txt
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
LOCK_VENV := .venv-lock

.PHONY: demo test install lock clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(PIP) -e ".[dev,eval,server]"
	touch $(DEV_STAMP)

install: $(STAMP)

demo: $(STAMP)
	bash scripts/demo.sh $(VENV)

test: $(DEV_STAMP)
	$(PY) scripts/check_install.py dev eval server
	$(PY) -m pytest -q

# Resolve the newest releases pyproject.toml allows in a throw-away venv and pin them all.
lock:
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet -e ".[dev,eval,server,corpus]"
	$(LOCK_VENV)/bin/python scripts/check_install.py dev eval server corpus
	{ sed -n '1,/^$$/p' constraints.txt; $(LOCK_VENV)/bin/python -m pip freeze --all --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf $(LOCK_VENV)

clean:
	rm -rf $(VENV) $(LOCK_VENV) .pytest_cache
