#!/usr/bin/env bash
# Set up Stadtlotse on a fresh machine; quick and idempotent when nothing changed.
#   scripts/setup.sh           runtime environments (assistant + open-data server)
#   scripts/setup.sh --test    also the Debian packages and tools the tests need
#   scripts/setup.sh --prod    also nginx (Debian), the production layout's proxy
set -euo pipefail
cd "$(dirname "$0")/.."

WITH_TEST=0
WITH_PROD=0
[[ "${1:-}" == "--test" ]] && WITH_TEST=1 && WITH_PROD=1
[[ "${1:-}" == "--prod" ]] && WITH_PROD=1
STAMPS=.setup-stamps
mkdir -p "$STAMPS"
UV_VERSION=0.13.9
step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf '\033[31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }

# A step runs again only when its inputs changed: the stamp holds their hash.
stamp_ok() { [[ -f "$STAMPS/$1" && "$(cat "$STAMPS/$1")" == "$2" ]]; }
hash_of() { cat "$@" | sha256sum | cut -c1-16; }

step "1/5 Python 3.10"
PY310=""
for candidate in "$(command -v python3.10 || true)" "$HOME"/.pyenv/versions/3.10*/bin/python /usr/bin/python3.10; do
  # A pyenv shim exists on PATH even when 3.10 is not selected: check that it really runs 3.10.
  if [[ -n "$candidate" && -x "$candidate" ]] \
     && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
    PY310="$candidate"; break
  fi
done
[[ -n "$PY310" ]] || fail "Python 3.10 not found (Rasa 3.6 needs it). Fix: install it, e.g. 'pyenv install 3.10.13'."
echo "    using $PY310"

step "2/5 uv (package installer)"
if [[ ! -x .tools/bin/uv ]] || ! .tools/bin/uv --version | grep -q "$UV_VERSION"; then
  "$PY310" -m venv .tools
  .tools/bin/pip install --quiet --disable-pip-version-check "uv==$UV_VERSION" \
    || fail "could not install uv from PyPI. Fix: check network access to the package registry."
fi
UV=.tools/bin/uv

sync_env() {  # sync_env <venv> <lockfile>
  local venv=$1 lock=$2 key
  key=$(hash_of "$lock")
  if stamp_ok "$venv" "$key" && [[ -x "$venv/bin/python" ]]; then
    echo "    $venv is up to date"; return
  fi
  [[ -x "$venv/bin/python" ]] || "$UV" venv --quiet --python "$PY310" "$venv"
  echo "    installing $lock into $venv (first time: a few minutes) ..."
  "$UV" pip sync --python "$venv/bin/python" "$lock" \
    || fail "installing $lock failed. Fix: see the resolver message above; 'rm -rf $venv' and retry."
  echo "$key" > "$STAMPS/$venv"
}

step "3/5 assistant environment (.venv: Rasa 3.6.21, spaCy 3.4)"
sync_env .venv requirements/assistant.lock

step "4/5 open-data server environment (.venv-opendata)"
sync_env .venv-opendata requirements/opendata.lock

step "5/5 browser parts and Debian packages (chromium with --test, nginx with --test/--prod)"
if [[ -f package-lock.json ]]; then
  key=$(hash_of package-lock.json)$WITH_TEST
  full=$(hash_of package-lock.json)1  # an install with test tools also serves the runtime
  if ! { stamp_ok npm "$key" || stamp_ok npm "$full"; } || [[ ! -d node_modules/socket.io-client ]]; then
    if [[ $WITH_TEST == 1 ]]; then NPM_ARGS=(); else NPM_ARGS=(--omit=dev); fi
    npm ci --silent --no-audit --no-fund "${NPM_ARGS[@]}" \
      || fail "npm ci failed. Fix: check access to the npm registry (the widget needs socket.io-client)."
    echo "$key" > "$STAMPS/npm"
  fi
fi
DEBS=()
[[ $WITH_TEST == 1 ]] && DEBS+=(chromium chromium-driver fonts-noto-color-emoji)
[[ $WITH_PROD == 1 ]] && DEBS+=(nginx)
if [[ ${#DEBS[@]} -gt 0 ]]; then
  if ! dpkg -s "${DEBS[@]}" >/dev/null 2>&1; then
    if [[ $(id -u) == 0 ]]; then APT=(apt-get); else APT=(sudo apt-get); fi
    echo "    installing Debian ${DEBS[*]} ..."
    DEBIAN_FRONTEND=noninteractive "${APT[@]}" install -y -qq "${DEBS[@]}" >/dev/null \
      || { "${APT[@]}" update -qq && DEBIAN_FRONTEND=noninteractive "${APT[@]}" install -y -qq "${DEBS[@]}" >/dev/null; } \
      || fail "could not install ${DEBS[*]}. Fix: run 'apt-get install ${DEBS[*]}' as root."
  fi
fi
echo "    setup done"
