# Counsel Match: `make run` serves the demo (web server and clock process); `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTANCE := instance
DEV_ENV := COUNSELMATCH_ENV=development SECRET_KEY=$$(cat $(INSTANCE)/secret_key)

.PHONY: install run test lint bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

$(INSTANCE)/secret_key:
	mkdir -p $(INSTANCE)
	$(BIN)/python -c "import secrets; print(secrets.token_hex(32))" > $@

$(INSTANCE)/demo_password:
	mkdir -p $(INSTANCE)
	$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(9))" > $@

run: install $(INSTANCE)/secret_key $(INSTANCE)/demo_password
	$(DEV_ENV) $(BIN)/counselmatch init-db
	$(DEV_ENV) $(BIN)/counselmatch seed-demo --if-empty --password "$$(cat $(INSTANCE)/demo_password)"
	$(DEV_ENV) $(BIN)/counselmatch match
	$(DEV_ENV) $(BIN)/counselmatch recruitment-targets
	@echo
	@echo "Counsel Match is at http://127.0.0.1:5000 - demo sign-ins (password: $$(cat $(INSTANCE)/demo_password)):"
	@echo "  coordinator@demo.test  attorney@demo.test  lead@demo.test  admin@demo.test"
	@echo "The clock process (counselmatch scheduler) runs beside the web server: it starts Run now's runs within seconds."
	@echo
	$(DEV_ENV) $(BIN)/counselmatch scheduler & trap "kill $$!" EXIT INT TERM; $(DEV_ENV) $(BIN)/gunicorn --bind 127.0.0.1:5000 --workers 2 --threads 4 --access-logfile - 'web:create_app()'

# The suite runs in parallel, one worker per core (TEST_WORKERS=0 runs it in this process).
TEST_WORKERS ?= auto

test: install
	$(BIN)/pytest -n $(TEST_WORKERS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
