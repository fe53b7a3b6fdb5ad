#!/usr/bin/env bash
# Run every test: lint, the open-data server on SQLite and on PostgreSQL, then the assistant.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\033[1m==> %s\033[0m\n' "$*"; }

step "lint (ruff)"
.venv-opendata/bin/ruff check .

step "open-data server on SQLite"
OPENDATA_TEST_DB=sqlite .venv-opendata/bin/python -m pytest -q tests/opendata "$@"

step "open-data server on PostgreSQL"
OPENDATA_TEST_DB=postgresql .venv-opendata/bin/python -m pytest -q tests/opendata "$@"

if [[ -d tests/assistant ]]; then
  step "assistant (Rasa, actions, connectors)"
  .venv/bin/python -m pytest -q tests/assistant "$@"
fi

step "security: attacks on the production layout (nginx in front)"
.venv/bin/python -m pytest -q tests/security "$@"
