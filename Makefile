# Wufei: two commands do all the set-up on a fresh machine with Python 3.11+ and make.
#   make demo   install, migrate the embedded SQLite database, generate the demo city, serve it
#   make test   install and run the whole suite (set WUFEI_DATABASE_URL for PostgreSQL)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
SCALE  ?= city
SEED   ?= 2020

.PHONY: install demo test lint format messages clean

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/wufei demo --scale $(SCALE) --seed $(SEED) --port $(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Refresh the English catalogue after changing user-visible strings (needs GNU gettext),
# translate the new entries in wufei/locale/en/LC_MESSAGES/django.po, then run it again.
messages: install
	cd wufei && ../$(BIN)/wufei makemessages -l en --no-location -i "*/tests/*" \
	  -i "*/migrations/*" -i "*/static/*" -i "demo/*"
	@(msgattrib --untranslated wufei/locale/en/LC_MESSAGES/django.po; \
	  msgattrib --only-fuzzy wufei/locale/en/LC_MESSAGES/django.po) | grep -q '^msgid' \
	  && echo "untranslated or fuzzy entries remain in wufei/locale/en/LC_MESSAGES/django.po" || true
	msgfmt -c -o wufei/locale/en/LC_MESSAGES/django.mo wufei/locale/en/LC_MESSAGES/django.po

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
