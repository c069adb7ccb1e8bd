#!/usr/bin/env bash
# Starts django-cas-server (PyPI) under gunicorn (2 workers × 4 threads, keep-alive) on
# 127.0.0.1:$PORT, creates the benchmark's user and service, and prints the session cookie.
# Used by `bench/run.sh --sso --peer`; needs python3 with venv.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
VENV="${PEER_CAS_VENV:-/var/tmp/preau-peer-cas}"
PORT="${1:-18900}"
export PEER_CAS_DIR="${PEER_CAS_DIR:-$(mktemp -d)}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
export DJANGO_SETTINGS_MODULE=settings PYTHONPATH="$HERE"
"$VENV/bin/python" -m django migrate --verbosity 0
"$VENV/bin/gunicorn" --chdir "$HERE" --bind "127.0.0.1:$PORT" --workers 2 --threads 4 --worker-class gthread --keep-alive 30 --log-level warning --daemon --pid "$PEER_CAS_DIR/gunicorn.pid" wsgi:application
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
"$VENV/bin/python" "$HERE/setup.py" "http://127.0.0.1:$PORT"
