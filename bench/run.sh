#!/usr/bin/env bash
# The benchmark of Préau: builds `preau` and `preau-bench` in release mode and runs them.
# Extra arguments go to preau-bench (--secs N, --portal-rate R; --import ACCOUNTS for the
# directory-feed benchmark instead; --sso for the single sign-on benchmark: CAS, OpenID Connect,
# introspection; --oidc for its OpenID Connect part only; --peer adds django-cas-server and the
# npm oidc-provider side by side; --messaging for the communication benchmark: the recipient
# picker, one message to 2,000 pupils with their pages open, sustained sending, 10,000 live
# streams; --documents for the documents benchmark: a 1 GiB file and 1,000 small files against
# cp and cat, RSS while uploading, 100 concurrent uploads; --timetable for the timetable
# benchmark: a pupil's week and homework due at 2,000 req/s and at saturation, a teacher's
# calendar feed and whole year; --postgres URL runs the import or
# communication benchmark on PostgreSQL too).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/preau-target}"
cargo build --release -q -p preau -p preau-bench
# Thousands of open connections on each side.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec "$CARGO_TARGET_DIR/release/preau-bench" --preau "$CARGO_TARGET_DIR/release/preau" "$@"
