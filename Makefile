# Tillbox developer entry points. `make run` and `make test` set everything up themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ARCH   ?= $(shell dpkg --print-architecture)
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test bench sysdeps venv clean distclean translations deb image lock

run: $(STAMP)
	$(BIN)/tillbox --config dev/tillbox.toml run --demo

test: $(STAMP)
	$(BIN)/python -m pytest --durations=30

bench: $(STAMP)
	$(BIN)/python bench/run_all.py --out bench/report.json

# The Debian package and the Raspberry Pi image (docs/packaging.md, docs/image.md); as root.
deb: $(STAMP)
	ARCH=$(ARCH) bash image_build/build-deb.sh

image: $(STAMP)
	bash dev/install-system-packages.sh image_build/image-packages.txt
	bash image_build/build-image.sh

# Refresh the hash-pinned Python inputs of the package.
lock: $(STAMP)
	bash image_build/lock.sh

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
