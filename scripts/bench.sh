#!/usr/bin/env bash
# Run every benchmark; each prints its figures and writes bench/results/<name>.json.
#   scripts/bench.sh            all
#   scripts/bench.sh nlu ...    only the named ones (nlu, assistant, ckan_search, transit_departures, channels)
set -euo pipefail
cd "$(dirname "$0")/.."
export TF_CPP_MIN_LOG_LEVEL=3 PYTHONWARNINGS=ignore PYTHONPATH="$PWD"
step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
wanted=("$@")
[[ ${#wanted[@]} -eq 0 ]] && wanted=(ckan_search transit_departures nlu assistant channels)
for name in "${wanted[@]}"; do
  case $name in
    ckan_search|transit_departures) python=.venv-opendata/bin/python ;;
    nlu|assistant|channels) python=.venv/bin/python ;;
    *) echo "unknown benchmark: $name" >&2; exit 2 ;;
  esac
  [[ -f bench/$name.py ]] || { echo "bench/$name.py missing, skipped"; continue; }
  step "benchmark $name"
  [[ $name == nlu ]] && .venv/bin/python -m bot.launcher build
  "$python" -m "bench.$name"
done
