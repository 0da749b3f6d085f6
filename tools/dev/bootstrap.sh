#!/usr/bin/env bash
# Idempotent setup used by `just serve` and `just test`: virtualenv, Python and npm dependencies, SPA build.
# Each step runs only when its inputs changed (hash stamps), so a warm `just serve` starts in seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON=${PYTHON:-python3}
VENV=.venv

hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -d' ' -f1; }

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Python 3.11 or newer is needed (found: $("$PYTHON" --version 2>&1))" >&2
  exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi

py_hash=$(hash_of pyproject.toml constraints.txt)
if [ "$(cat "$VENV/.installed" 2>/dev/null)" != "$py_hash" ]; then
  echo "[setup] installing Python dependencies"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -c constraints.txt -e '.[dev]'
  echo "$py_hash" > "$VENV/.installed"
fi

if [ -f frontend/package.json ]; then
  if ! command -v npm >/dev/null; then
    echo "Node.js 20+ with npm is needed to build the web app" >&2
    exit 1
  fi
  npm_hash=$(hash_of frontend/package.json frontend/package-lock.json)
  if [ ! -d frontend/node_modules ] || [ "$(cat frontend/node_modules/.installed 2>/dev/null)" != "$npm_hash" ]; then
    echo "[setup] installing npm dependencies"
    (cd frontend && npm ci --no-audit --no-fund --loglevel=error)
    echo "$npm_hash" > frontend/node_modules/.installed
  fi
  src_hash=$(find frontend/src frontend/public frontend/plugins frontend/index.html frontend/vite.config.ts \
               frontend/tsconfig.json frontend/tsconfig.worker.json \
               frontend/package-lock.json -type f 2>/dev/null | sort | xargs cat | sha256sum | cut -d' ' -f1)
  if [ ! -f frontend/dist/index.html ] || [ "$(cat frontend/dist/.source-hash 2>/dev/null)" != "$src_hash" ]; then
    echo "[setup] building the web app"
    (cd frontend && npm run --silent build)
    echo "$src_hash" > frontend/dist/.source-hash
  fi
fi
