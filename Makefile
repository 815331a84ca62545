# Tillbox developer entry points. `make run` and `make test` set everything up themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test bench sysdeps venv clean distclean translations

run: $(STAMP)
	$(BIN)/tillbox --config dev/tillbox.toml run --demo

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/run_all.py --out bench/report.json

sysdeps:
	bash dev/install-system-packages.sh

venv: $(STAMP)

$(STAMP): pyproject.toml dev/system-packages.txt
	bash dev/install-system-packages.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf .pytest_cache .hypothesis build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) var

# Refresh the translation catalogs after changing user-visible strings (see docs/i18n.md).
translations: $(STAMP)
	cd webui && ../$(BIN)/pybabel extract -F babel.cfg -o /tmp/tillbox-messages.pot . ../appliance ../drivers \
	  && ../$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i /tmp/tillbox-messages.pot -d translations \
	  && ../$(BIN)/pybabel compile -d translations
