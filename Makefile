# Two commands set everything up on a machine with only Python 3.11+:
#   make run   -> .venv, install, migrate, demo data, serve on http://127.0.0.1:8000
#   make test  -> .venv, install, run the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export DJANGO_DEBUG ?= true

.PHONY: install run test lint bench messages migrate demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet ".[dev]"  # dependencies only: the code runs from this folder
	touch $(STAMP)

MO_STAMP := $(VENV)/.translations-stamp

$(MO_STAMP): $(STAMP) $(wildcard locale/*/LC_MESSAGES/*.po)
	$(BIN)/python manage.py compile_translations
	touch $(MO_STAMP)

install: $(STAMP) $(MO_STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo

run: demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python bench/run.py

messages: install
	$(BIN)/python manage.py makemessages -l nl -l en --ignore=.venv --ignore=tests
	$(BIN)/python manage.py compile_translations

clean:
	rm -rf $(VENV) db.sqlite3
