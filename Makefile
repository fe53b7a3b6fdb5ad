# Stadtlotse task entry point. `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: ## create/update the environments (idempotent)
	@scripts/setup.sh

run: setup ## set up and start the whole assistant on its embedded defaults
	@.venv/bin/python -m bot.launcher

prod: ## set up and start the production layout (nginx in front; secrets from the environment)
	@scripts/setup.sh --prod
	@.venv/bin/python -m bot.launcher production

test: ## set up and run every test (SQLite and PostgreSQL)
	@scripts/setup.sh --test
	@scripts/test.sh

lint: ## ruff over the whole tree
	@.venv-opendata/bin/ruff check .

bench: setup ## run the benchmarks (prints figures, writes bench/results/)
	@scripts/bench.sh

train: setup ## build the NLU pipeline and train the model when data, config or domain changed
	@.venv/bin/python -m bot.launcher build

shell: ## Rasa shell for staff (start `make run` in another terminal first)
	@.venv/bin/python -m bot.launcher shell
